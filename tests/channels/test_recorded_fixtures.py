"""Every recorded webhook payload under tests/fixtures/ parses without error.

This picks up recordings as they are added, whoever adds them; the per-provider test
modules assert the exact values of the ones they name.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest

from channels import adapter_for
from channels.types import ChannelConfig

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def recorded(provider: str) -> list[Path]:
    return sorted((FIXTURES / provider).glob("*.json")) if (FIXTURES / provider).is_dir() else []


def ids(paths: list[Path]) -> list[str]:
    return [path.name for path in paths]


def _is_form(path: Path) -> bool:
    fields = json.loads(path.read_text(encoding="utf-8"))
    return isinstance(fields, dict) and ("MessageSid" in fields or "SmsSid" in fields)


META = [p for p in recorded("meta") if '"object"' in p.read_text(encoding="utf-8")]
TELEGRAM = [p for p in recorded("telegram") if '"update_id"' in p.read_text(encoding="utf-8")]
TWILIO = [p for p in recorded("twilio") if _is_form(p)]


@pytest.mark.parametrize("path", META, ids=ids(META))
def test_meta_webhooks_parse(path: Path) -> None:
    events = adapter_for("whatsapp_meta").parse(ChannelConfig(1, "whatsapp_meta", {}), path.read_bytes(), "")
    for message in events.messages:
        assert message.identities and message.sent_at.tzinfo is not None


@pytest.mark.parametrize("path", TELEGRAM, ids=ids(TELEGRAM))
def test_telegram_updates_parse(path: Path) -> None:
    events = adapter_for("telegram").parse(ChannelConfig(1, "telegram", {}), path.read_bytes(), "")
    for message in events.messages:
        assert message.identities[0].kind == "telegram"


@pytest.mark.parametrize("path", TWILIO, ids=ids(TWILIO))
def test_twilio_forms_parse(path: Path) -> None:
    fields = json.loads(path.read_text(encoding="utf-8"))
    endpoint = "status" if "MessageStatus" in fields else "inbound"
    body = urlencode(fields, doseq=True).encode()
    events = adapter_for("whatsapp_twilio").parse(ChannelConfig(1, "whatsapp_twilio", {}), body, endpoint)
    if endpoint == "inbound":
        assert len(events.messages) == 1
