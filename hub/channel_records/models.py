"""Channel records: one per number, bot or web chat widget. `config` holds secrets, sealed at rest (see `sealing`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from hub.channel_records.sealing import SealedConfig
from hub.runtime.db import utcnow


class Channel(SQLModel, table=True):
    __tablename__ = "channel"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    name: str = Field(max_length=200)
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(SealedConfig(), nullable=False))
    is_active: bool = Field(default=True)
    # may a broadcast go to a contact without a marketing opt-in here? None: the default of the kind
    marketing_consent_required: bool | None = None
    # who answers a new conversation here: `bot` (a bot serves the channel) or `human`; None: human
    automation_default: str | None = Field(default=None, max_length=10)
    created_at: datetime = Field(default_factory=utcnow)

    def __repr__(self) -> str:  # the config holds secrets: never print it
        return f"Channel(id={self.id}, kind={self.kind!r}, name={self.name!r})"


class TeamChannel(SQLModel, table=True):
    """A team is given a channel: its agents see that channel's conversations."""

    __tablename__ = "team_channel"

    team_id: int = Field(foreign_key="team.id", primary_key=True, ondelete="CASCADE")
    channel_id: int = Field(foreign_key="channel.id", primary_key=True, ondelete="CASCADE", index=True)
