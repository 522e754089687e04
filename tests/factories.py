"""Factories for the core's rows and signed webhook requests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from channels import IdentityRef, InboundMessage
from hub.agents import service as agents
from hub.agents.models import User
from hub.channel_records import service as channels
from hub.channel_records.models import Channel
from hub.runtime.db import session_scope

PASSWORD = "correct horse battery"


def make_channel(kind: str = "telegram", name: str = "Test channel", team_ids: list[int] | None = None,
                 config: dict[str, Any] | None = None, marketing_consent_required: bool | None = None) -> Channel:
    with session_scope() as session:
        return channels.create(session=session, kind=kind, name=name, config=config or {}, team_ids=team_ids,
                               marketing_consent_required=marketing_consent_required)


def make_user(email: str, role: str = "agent", team_ids: list[int] | None = None) -> User:
    with session_scope() as session:
        user = agents.create_user(session=session, email=email, password=PASSWORD, role=role)
        for team_id in team_ids or []:
            from hub.agents.models import TeamMember

            session.add(TeamMember(team_id=team_id, user_id=user.id or 0))
        return user


def make_team(name: str) -> int:
    with session_scope() as session:
        team = agents.create_team(session=session, name=name)
        assert team.id is not None
        return team.id


def inbound(provider_id: str, phone: str = "+85291234567", text: str = "你好", name: str | None = "陳大文"
            ) -> InboundMessage:
    return InboundMessage(provider_message_id=provider_id, identities=(IdentityRef("phone", phone),), kind="text",
                          text=text, sent_at=datetime.now(UTC), profile_name=name)


def telegram_update(update_id: int, user_id: int = 700100200, text: str = "このジャケットのMサイズは在庫ありますか",
                    first_name: str = "花子", last_name: str = "鈴木") -> bytes:
    """A Bot API Update with a text message, as Telegram posts it."""
    return json.dumps({
        "update_id": update_id,
        "message": {
            "message_id": update_id * 10,
            "from": {"id": user_id, "is_bot": False, "first_name": first_name, "last_name": last_name,
                     "language_code": "ja"},
            "chat": {"id": user_id, "first_name": first_name, "last_name": last_name, "type": "private"},
            "date": 1763830000,
            "text": text,
        },
    }, ensure_ascii=False).encode()


def telegram_headers(channel_id: int) -> dict[str, str]:
    """Headers of a sandbox Telegram channel's webhook (its secret is the sandbox secret)."""
    return {"X-Telegram-Bot-Api-Secret-Token": f"sandbox:{channel_id}", "Content-Type": "application/json"}


def token_for(client: Any, email: str, password: str = PASSWORD) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def session_count(session: Session, model: type) -> int:
    from sqlmodel import func, select

    return int(session.exec(select(func.count()).select_from(model)).one())
