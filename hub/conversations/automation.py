"""Who answers a conversation: the bot or a person (`AutomationMode`).

A new conversation takes the `automation_default` of the team it is routed to (its own team, else the teams
its channel is given when those that set one agree), else its channel's (none set: `human`; a bot serving the
channel sets it to `bot`, `set_channel_default`), and so does one the customer reopens. Assignment leaves a
conversation in `bot` mode alone until the bot hands it off. An agent's reply or taking the conversation
switches it to `human`; a bot's handoff does too; an agent may hand it back to the bot. The delivery engine
reads the mode when it claims a message (`hub.outbound.engine`): a bot's message on a `human` conversation
fails there (`human_mode`) and is never sent, whatever raced it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from hub.agents.models import Team
from hub.channel_records.models import Channel, TeamChannel
from hub.conversations import activity
from hub.conversations.models import ActivityKind, ActorKind, AutomationMode, Conversation
from hub.runtime import events
from hub.runtime.db import utcnow

MODES = tuple(mode.value for mode in AutomationMode)


class ModeRefused(ValueError):
    """Not a mode: the message says which are."""


def defaults_for(session: Session, channel_ids: Iterable[int]) -> dict[int, str]:
    """Each channel's mode for a new conversation: its teams' default when those that set one agree, else the
    channel's own."""
    wanted = sorted(set(channel_ids))
    if not wanted:
        return {}
    found = dict(session.execute(select(col(Channel.id), col(Channel.automation_default))
                                 .where(col(Channel.id).in_(wanted))).tuples().all())
    teams: dict[int, set[str]] = {}
    for channel_id, mode in session.execute(
            select(col(TeamChannel.channel_id), col(Team.automation_default))
            .join(Team, col(Team.id) == col(TeamChannel.team_id))
            .where(col(TeamChannel.channel_id).in_(wanted), col(Team.automation_default).in_(MODES))).tuples():
        teams.setdefault(channel_id, set()).add(str(mode))
    out: dict[int, str] = {}
    for cid in wanted:
        agreed = teams.get(cid, set())
        own = found.get(cid)
        out[cid] = (next(iter(agreed)) if len(agreed) == 1 else str(own) if own in MODES
                    else AutomationMode.human.value)
    return out


def channel_default_expression() -> object:
    """SQL for "the conversation's default mode" (its team's, else its channel's teams' when they agree, else its
    channel's), for set-based updates of conversations."""
    table = Conversation.__table__  # type: ignore[attr-defined]
    channels = Channel.__table__  # type: ignore[attr-defined]
    teams = Team.__table__  # type: ignore[attr-defined]
    given = TeamChannel.__table__  # type: ignore[attr-defined]
    own_team = select(teams.c.automation_default).where(teams.c.id == table.c.team_id).scalar_subquery()
    channel_teams = (select(func.max(teams.c.automation_default))
                     .select_from(given.join(teams, teams.c.id == given.c.team_id))
                     .where(given.c.channel_id == table.c.channel_id, teams.c.automation_default.in_(MODES))
                     .having(func.count(func.distinct(teams.c.automation_default)) == 1).scalar_subquery())
    return func.coalesce(own_team, channel_teams,
                         select(channels.c.automation_default).where(channels.c.id == table.c.channel_id)
                         .scalar_subquery(), AutomationMode.human.value)


def set_channel_default(*, session: Session, channel_ids: Iterable[int] | None, mode: str) -> None:
    """New conversations on these channels (None: every channel) start in `mode`."""
    if mode not in MODES:
        raise ModeRefused(f"{mode!r} is not a mode; use one of {', '.join(MODES)}")
    query = update(Channel).values(automation_default=mode)
    if channel_ids is not None:
        query = query.where(col(Channel.id).in_(sorted(set(channel_ids))))
    session.execute(query)


def mode_of(session: Session, conversation_id: int) -> str | None:
    """The conversation's mode as stored now (not a cached row's)."""
    found = session.execute(select(col(Conversation.automation_mode)).where(
        col(Conversation.id) == conversation_id)).scalar_one_or_none()
    return str(found) if found is not None else None


def set_mode(*, session: Session, conversation_id: int, mode: str, actor: activity.Actor, reason: str,
             handoff_at: datetime | None = None) -> bool:
    """Switch the conversation to `mode`; True when it changed. The line in the thread and the event say who and
    why. `handoff_at`: a bot handed it to a person then (the first-response clock starts there)."""
    if mode not in MODES:
        raise ModeRefused(f"{mode!r} is not a mode; use one of {', '.join(MODES)}")
    values: dict[str, object] = {"automation_mode": mode}
    if handoff_at is not None:
        values["handed_off_at"] = handoff_at
    moved = session.execute(update(Conversation).where(
        col(Conversation.id) == conversation_id, col(Conversation.automation_mode) != mode).values(**values))
    if getattr(moved, "rowcount", 0) != 1:
        if handoff_at is not None:
            session.execute(update(Conversation).where(col(Conversation.id) == conversation_id).values(**values))
        return False
    kind = ActivityKind.to_bot if mode == AutomationMode.bot.value else ActivityKind.to_human
    activity.record(session, conversation_id=conversation_id, kind=kind, actor=actor, reason=reason)
    events.emit(session, events.CONVERSATION_UPDATED, conversation_id=conversation_id, automation_mode=mode,
                reason=reason)
    return True


def person_takes(*, session: Session, conversation_id: int, agent_id: int | None, reason: str) -> bool:
    """An agent answered or took the conversation: from now on a person answers it."""
    return set_mode(session=session, conversation_id=conversation_id, mode=AutomationMode.human.value,
                    actor=activity.Actor.agent(agent_id), reason=reason)


def bot_hands_off(*, session: Session, conversation_id: int, reason: str) -> bool:
    """A bot handed the conversation to a person: `human`, and the first-response clock starts now. What the bot
    queued until now still goes out (the delivery engine compares with `handed_off_at`)."""
    return set_mode(session=session, conversation_id=conversation_id, mode=AutomationMode.human.value,
                    actor=activity.Actor(ActorKind.bot), reason=reason, handoff_at=utcnow())
