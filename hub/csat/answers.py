"""A customer's answers to a survey: a rating (a button tap, or a text "1".."5", full-width digits too),
then optionally one comment (the next text message, within `COMMENT_WINDOW` of the rating).

Both arrive on a resolved conversation and are stored without reopening it (this module plugs into
`hub.conversations.store` as its `Answers`): the rating, the comment and the survey's replies are written in
the ingest's own transaction, so the next message sees them. Anything else the customer writes, or a
third message, reopens the conversation as usual. A rating on a conversation that is open again (the
customer wrote first, or an agent reopened it) is an ordinary message.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from channels import InboundMessage
from hub.conversations import outbound
from hub.conversations.models import Conversation
from hub.conversations.store import Answers, Stored
from hub.csat import events as csat_events
from hub.csat import texts
from hub.csat.models import CsatSurvey, SurveyStatus
from hub.csat.settings import answer_hours
from hub.runtime import events
from hub.runtime.db import as_utc, utcnow

COMMENT_WINDOW = timedelta(hours=1)
"""How long after the rating a text is taken as its comment (later, it is a new request)."""
COMMENT_LIMIT = 2000
_RATING = re.compile(r"(?:csat:)?([1-5])")
_TEXT_KINDS = ("text",)


def rating_of(inbound: InboundMessage) -> int | None:
    """The rating a message gives: a rating button's id (WhatsApp, web chat), a Telegram callback's data,
    or the digit alone as text ("5", "５", "5." ...); None otherwise."""
    payload = inbound.payload or {}
    candidates = [payload.get(key) for key in ("id", "data", "payload")]
    if inbound.kind in (*_TEXT_KINDS, "button_reply", "callback", "button"):
        candidates.append(inbound.text)
    for candidate in candidates:
        if not isinstance(candidate, str):
            continue
        answer = unicodedata.normalize("NFKC", candidate).strip().rstrip(".)。、!！").strip()
        found = _RATING.fullmatch(answer)
        if found:
            return int(found.group(1))
    return None


def comment_of(inbound: InboundMessage) -> str | None:
    """A comment is a text message with words in it."""
    text = (inbound.text or "").strip()
    return text[:COMMENT_LIMIT] if inbound.kind in _TEXT_KINDS and text else None


def latest(session: Session, conversation_ids: Sequence[int]) -> dict[int, CsatSurvey]:
    """Each conversation's latest survey that was sent (answered or not)."""
    found: dict[int, CsatSurvey] = {}
    rows = session.exec(select(CsatSurvey).where(
        col(CsatSurvey.conversation_id).in_(list(conversation_ids)),
        col(CsatSurvey.status).in_([SurveyStatus.sent.value, SurveyStatus.answered.value]))
        .order_by(col(CsatSurvey.id)))
    for survey in rows:
        found[survey.conversation_id] = survey
    return found


def roles(session: Session, survey: CsatSurvey, messages: Sequence[InboundMessage],
          now: datetime) -> list[str] | None:
    """What each message is to the survey ("rating", "comment"), or None when they are not all answers."""
    expected: list[str] = []
    if survey.status == SurveyStatus.sent.value:
        hours = answer_hours(session, survey)
        if survey.sent_at is None or now - as_utc(survey.sent_at) > timedelta(hours=hours):
            return None
        expected = ["rating", "comment"]
    elif survey.comment is None and survey.answered_at is not None \
            and now - as_utc(survey.answered_at) <= COMMENT_WINDOW:
        expected = ["comment"]
    if not messages or len(messages) > len(expected):
        return None
    for role, message in zip(expected, messages, strict=False):
        if role == "rating" and rating_of(message) is None:
            return None
        if role == "comment" and comment_of(message) is None:
            return None
    return expected[:len(messages)]


def claims(session: Session, said: Mapping[int, Sequence[InboundMessage]]) -> set[int]:
    """The resolved conversations whose new messages all answer their survey."""
    surveys = latest(session, sorted(said))
    now = utcnow()
    return {cid for cid, survey in surveys.items() if roles(session, survey, said[cid], now) is not None}


def take(session: Session, stored: Sequence[Stored]) -> None:
    """Record the answers `claims` vouched for, and queue the survey's reply to each."""
    by_conversation: dict[int, list[Stored]] = {}
    for item in stored:
        by_conversation.setdefault(item.conversation_id, []).append(item)
    surveys = latest(session, sorted(by_conversation))
    now = utcnow()
    for cid, items in by_conversation.items():
        survey = surveys.get(cid)
        said = roles(session, survey, [item.arrival.inbound for item in items], now) if survey else None
        if survey is None or said is None:
            continue
        for role, item in zip(said, items, strict=True):
            if role == "rating":
                survey.rating, survey.answered_at = rating_of(item.arrival.inbound), now
                survey.status = SurveyStatus.answered.value
                _reply(session, survey, "rated", item.message_id)
            else:
                survey.comment, survey.commented_at = comment_of(item.arrival.inbound), now
                _reply(session, survey, "thanks", item.message_id)
            session.add(survey)
            session.flush()
            events.emit(session, csat_events.ANSWERED, survey_id=survey.id, conversation_id=cid,
                        agent_id=survey.agent_id, team_id=survey.team_id, channel_id=survey.channel_id,
                        rating=survey.rating, comment=survey.comment, at=now.isoformat())


def _reply(session: Session, survey: CsatSurvey, key: str, answer_id: int) -> None:
    conversation = session.get(Conversation, survey.conversation_id)
    assert conversation is not None
    with contextlib.suppress(outbound.ReplyRefused):  # STOP in between: the answer stays, no thank-you goes
        outbound.queue_reply(session=session, conversation=conversation, author_id=None,
                             text=texts.say(key, survey.locale), payload={"csat": survey.id},
                             client_key=f"csat-{survey.id}-{key}-{answer_id}", sender="system")


ANSWERS = Answers(claims=claims, take=take)
