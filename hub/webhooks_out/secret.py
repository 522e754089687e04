"""Endpoint secrets (`whsec_` + 24 random bytes in base64, as Standard Webhooks has them), sealed at rest with
the cipher that seals channel secrets (keyed from HUB_SECRET_KEY): Hub needs the secret itself to sign."""

from __future__ import annotations

import base64
import secrets as random

from hub.channel_records.sealing import PREFIX, cipher


def generate() -> str:
    return "whsec_" + base64.b64encode(random.token_bytes(24)).decode()


def seal(secret: str) -> str:
    return PREFIX + cipher().encrypt(secret.encode()).decode()


def unseal(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored
    return cipher().decrypt(stored[len(PREFIX):].encode()).decode()
