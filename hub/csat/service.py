"""Asking for a rating: after a resolution (`schedule`, then `send_due` once the setting's delay has passed)
or when a journey asks (`request`). Each survey is sent once through the delivery engine as a system message
(`hub.outbound.Sender.system`), in the customer's language, with native rating buttons where the channel has
them (WhatsApp, Telegram, web chat) and as "reply 1-5" text on SMS. Outside WhatsApp's 24-hour window the
setting's template asks instead; without one the survey is kept as `not_sent` with the reason.

The agent assigned when the request is sent is credited with the answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hub.channel_records.models import Channel
from hub.contacts import locales
from hub.contacts.models import Contact
from hub.conversations import outbound
from hub.conversations.models import Conversation, ConversationStatus
from hub.csat import events as csat_events
from hub.csat import texts
from hub.csat.models import CsatSurvey, SurveyStatus
from hub.csat.settings import setting_for, team_of
from hub.runtime import events
from hub.runtime.db import as_utc, utcnow

TEXT_ONLY = frozenset({"sms_twilio"})
"""Channel kinds without buttons: the request says "reply with a number from 1 to 5"."""
RESOLVED = "resolved:"
REQUESTED = "request:"


def _add(session: Session, survey: CsatSurvey) -> CsatSurvey | None:
    """Store a new survey; None when its trigger was stored before (a job run twice)."""
    try:
        with session.begin_nested():
            session.add(survey)
            session.flush()
    except IntegrityError:
        return None
    return survey


def schedule(session: Session, conversation_id: int, now: datetime | None = None) -> CsatSurvey | None:
    """A resolved conversation whose channel or team asks for ratings gets a survey, due after the delay
    (and sent now when that is now). None when nothing is to be asked or it was asked already."""
    now = now or utcnow()
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.status != ConversationStatus.resolved or conversation.resolved_at is None:
        return None
    team_id = team_of(session, conversation)
    setting = setting_for(session, channel_id=conversation.channel_id, team_id=team_id)
    if setting is None or not setting.enabled:
        return None
    resolved_at = as_utc(conversation.resolved_at)
    survey = _add(session, CsatSurvey(conversation_id=conversation_id, channel_id=conversation.channel_id,
                                      team_id=team_id, trigger=f"{RESOLVED}{resolved_at.isoformat()}",
                                      due_at=resolved_at + timedelta(minutes=max(setting.delay_minutes, 0))))
    if survey is not None and as_utc(survey.due_at) <= now:
        send(session, survey, now)
    return survey


def request(session: Session, conversation_ids: Sequence[int], now: datetime | None = None,
            key: str | None = None) -> list[CsatSurvey]:
    """Ask now in each conversation (a journey's step), whatever the settings say about resolutions; the
    surveys made. `key` names the request (a journey step's key): asked under the same key, or at this same
    moment without one, a conversation gets none (a job run twice asks once)."""
    now = now or utcnow()
    made = []
    for conversation in session.exec(select(Conversation).where(col(Conversation.id).in_(list(conversation_ids)))):
        assert conversation.id is not None
        survey = _add(session, CsatSurvey(conversation_id=conversation.id, channel_id=conversation.channel_id,
                                          team_id=team_of(session, conversation), due_at=now,
                                          trigger=_trigger(key or now.isoformat())))
        if survey is not None:
            send(session, survey, now)
            made.append(survey)
    return made


def requested(session: Session, conversation_id: int, key: str) -> CsatSurvey | None:
    """The survey `request` made under `key` in this conversation, if any."""
    return session.exec(select(CsatSurvey).where(CsatSurvey.conversation_id == conversation_id,
                                                 CsatSurvey.trigger == _trigger(key))).first()


def _trigger(key: str) -> str:
    trigger = f"{REQUESTED}{key}"
    return trigger if len(trigger) <= 60 else f"{REQUESTED}{hashlib.sha256(key.encode()).hexdigest()[:48]}"


def send_due(session: Session, now: datetime | None = None, limit: int = 200) -> int:
    """Send the scheduled surveys whose delay has passed; how many were handled."""
    now = now or utcnow()
    due = list(session.exec(select(CsatSurvey).where(
        CsatSurvey.status == SurveyStatus.scheduled.value, col(CsatSurvey.due_at) <= now)
        .order_by(col(CsatSurvey.due_at)).limit(limit)))
    for survey in due:
        send(session, survey, now)
    return len(due)


def send(session: Session, survey: CsatSurvey, now: datetime) -> None:
    """Queue the request (or record why not), emit SENT; the caller commits."""
    conversation = session.get(Conversation, survey.conversation_id)
    channel = session.get(Channel, survey.channel_id)
    assert conversation is not None and channel is not None
    if survey.trigger.startswith(RESOLVED) and conversation.status != ConversationStatus.resolved:
        return _not_sent(session, survey, "the conversation was reopened before the survey was due")
    contact = session.get(Contact, conversation.contact_id)
    survey.locale = locales.for_contact(session, contact, channel)
    survey.agent_id = conversation.assignee_id
    payload: dict[str, Any]
    if outbound.window_closed(conversation, channel):
        setting = setting_for(session, channel_id=survey.channel_id, team_id=survey.team_id)
        if setting is None or not setting.template_name:
            return _not_sent(session, survey, "outside the 24-hour window and no survey template is set")
        kind, text, payload = "template", None, {
            "template_name": setting.template_name,
            "template_language": setting.template_language or texts.TEMPLATE_LANGUAGE.get(survey.locale, "en")}
    elif channel.kind in TEXT_ONLY:
        kind, text, payload = "text", texts.ask_for_a_number(survey.locale), {}
    else:
        kind, text, payload = "buttons", texts.say("ask", survey.locale), {
            "buttons": texts.buttons(survey.locale), "list_button": texts.say("list_button", survey.locale)}
    assert survey.id is not None
    try:
        message, _ = outbound.queue_reply(session=session, conversation=conversation, author_id=None, text=text,
                                          kind=kind, payload={**payload, "csat": survey.id},
                                          client_key=f"csat-{survey.id}", sender="system")
    except outbound.ReplyRefused as refused:
        return _not_sent(session, survey, str(refused))
    survey.status, survey.sent_at, survey.message_id = SurveyStatus.sent.value, now, message.id
    session.add(survey)
    session.flush()
    events.emit(session, csat_events.SENT, survey_id=survey.id, conversation_id=survey.conversation_id,
                agent_id=survey.agent_id, team_id=survey.team_id, channel_id=survey.channel_id, at=now.isoformat())


def _not_sent(session: Session, survey: CsatSurvey, reason: str) -> None:
    survey.status, survey.reason = SurveyStatus.not_sent.value, reason[:300]
    session.add(survey)
    session.flush()
