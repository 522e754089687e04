"""When to ask: a survey setting per channel, else per team (the conversation's team, see
`hub.conversations.teams`); with neither, Hub does not ask."""

from __future__ import annotations

from sqlmodel import Session, col, select

from hub.channel_records.models import TeamChannel
from hub.conversations.models import Conversation
from hub.csat.models import CsatSetting, CsatSurvey

DEFAULT_ANSWER_HOURS = 24


def team_of(session: Session, conversation: Conversation) -> int | None:
    """The conversation's team: the one it was handed to, else its channel's (the first, by id)."""
    if conversation.team_id is not None:
        return conversation.team_id
    return session.exec(select(TeamChannel.team_id).where(TeamChannel.channel_id == conversation.channel_id)
                        .order_by(col(TeamChannel.team_id))).first()


def setting_for(session: Session, *, channel_id: int, team_id: int | None) -> CsatSetting | None:
    """The channel's setting, else the team's, else None."""
    found = session.exec(select(CsatSetting).where(CsatSetting.channel_id == channel_id)).first()
    if found is None and team_id is not None:
        found = session.exec(select(CsatSetting).where(CsatSetting.team_id == team_id)).first()
    return found


def answer_hours(session: Session, survey: CsatSurvey) -> int:
    """How long this survey's rating is taken after it was sent."""
    setting = setting_for(session, channel_id=survey.channel_id, team_id=survey.team_id)
    return setting.answer_hours if setting is not None else DEFAULT_ANSWER_HOURS
