"""Which team a conversation belongs to: one rule for the inbox filter, access, assignment and reports.

A conversation belongs to the team it was handed to (`conversation.team_id`) when it was reassigned;
otherwise to the team or teams its channel is given to. Everything here is a WHERE clause, so a list
or a count applies the rule in SQL, whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlmodel import col

from hub.channel_records.models import TeamChannel
from hub.conversations.models import Conversation


def in_teams(teams: Sequence[int] | Any) -> ColumnElement[bool]:
    """Conversations of any of these teams (a list of ids, or a subquery of team ids)."""
    channels = select(col(TeamChannel.channel_id)).where(col(TeamChannel.team_id).in_(teams))
    return or_(col(Conversation.team_id).in_(teams),
               and_(col(Conversation.team_id).is_(None), col(Conversation.channel_id).in_(channels)))


def in_team(team_id: int) -> ColumnElement[bool]:
    """Conversations of this team: handed to it, or on one of its channels and not handed elsewhere."""
    return in_teams([team_id])
