"""How the core stores the addresses adapters report (provider-neutral `IdentityRef`s)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from channels import IdentityRef


@dataclass(frozen=True)
class StoredIdentity:
    kind: str
    value: str
    phone: str | None = None


def stored(refs: Iterable[IdentityRef], phone_identity: str) -> list[StoredIdentity]:
    """A `phone` ref becomes an identity of the channel's family (`sms` or `whatsapp`) with its phone."""
    return [
        StoredIdentity(kind=phone_identity, value=ref.value, phone=ref.value) if ref.kind == "phone"
        else StoredIdentity(kind=ref.kind, value=ref.value)
        for ref in refs
    ]
