"""Bots' API: bots and their stats, the knowledge base (with CSV import and export) and external bots.
Marketers and admins edit bots and the knowledge base; only admins connect an external bot."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from flows.bots import console, handoff, knowledge, service, texts
from flows.bots.models import Bot, BotKind, HandoffReason, KnowledgeEntry
from hub.api.deps import AdminUser, DbSession, MarketerUser
from hub.conversations import outbound as replies
from hub.conversations.models import AutomationMode, Conversation
from hub.outbound import Sender

router = APIRouter(prefix="/api/v1", tags=["bots"])
Id = Annotated[int, Path(ge=1)]


class Locale(StrEnum):
    en = "en"
    zh_hant = "zh-Hant"
    ja = "ja"


class BotIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "Shop assistant", "flow_id": 3, "channel_ids": [1, 2], "enabled": True, "threshold": 0.5}]})

    name: str = Field(min_length=1, max_length=100)
    flow_id: int | None = Field(default=None, ge=1, description="the flow it runs (its trigger is `bot`)")
    channel_ids: list[int] = Field(default_factory=list, description="the channels it answers on; empty: all")
    enabled: bool = True
    threshold: float = Field(default=0.5, ge=0, le=1,
                             description="how sure a knowledge-base answer must be (0-1) before the bot gives it")


class BotPatch(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"enabled": False}, {"threshold": 0.7}]})

    name: str | None = Field(default=None, min_length=1, max_length=100)
    flow_id: int | None = Field(default=None, ge=1)
    channel_ids: list[int] | None = None
    enabled: bool | None = None
    threshold: float | None = Field(default=None, ge=0, le=1)


class BotOut(BaseModel):
    id: int
    name: str
    kind: BotKind
    flow_id: int | None
    channel_ids: list[int]
    enabled: bool
    threshold: float
    url: str | None = Field(description="an external bot's address (events are posted there)")
    created_at: datetime
    updated_at: datetime


class AgentBotIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "Rasa", "url": "https://bots.example.com/hub", "secret": "whsec_a-long-random-secret",
         "channel_ids": [2]}]})

    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=8, max_length=2000, pattern=r"^https?://", description="where Hub posts events")
    secret: str = Field(min_length=16, max_length=300, description="signs the events (Standard Webhooks)")
    channel_ids: list[int] = Field(default_factory=list)


class AgentBotOut(BotOut):
    token: str = Field(description="the bot's API token (shown once): `Authorization: Bearer <token>`")


class GapOut(BaseModel):
    knowledge_id: int
    question: str
    locale: str
    handoffs: int


class StatsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "bot_id": 1, "conversations": 120, "contained": 84, "containment_rate": 0.7, "handoffs": 36,
        "handoffs_by_reason": {"asked": 20, "no_answer": 10, "step": 6},
        "answers_before_handoff": [{"knowledge_id": 4, "question": "退貨政策", "locale": "zh-Hant", "handoffs": 5}]}]})

    bot_id: int
    conversations: int = Field(description="conversations the bot answered")
    contained: int = Field(description="of them, resolved without a person")
    containment_rate: float
    handoffs: int
    handoffs_by_reason: dict[HandoffReason | str, int]
    answers_before_handoff: list[GapOut] = Field(description="the answers given last before a handoff, most first")


class EntryIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"locale": "ja", "question": "営業時間は？", "answer": "毎日11時から20時まで営業しています。",
         "keywords": ["営業時間", "何時"], "tag": None, "enabled": True}]})

    locale: Locale
    question: str = Field(min_length=1, max_length=500)
    answer: str = Field(min_length=1, max_length=2000)
    keywords: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list, max_length=50)
    tag: str | None = Field(default=None, max_length=100, description="a classifier tag that also finds this answer")
    enabled: bool = True


class EntryPatch(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"answer": "Open daily 11:00-20:00."}]})

    locale: Locale | None = None
    question: str | None = Field(default=None, min_length=1, max_length=500)
    answer: str | None = Field(default=None, min_length=1, max_length=2000)
    keywords: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(default=None, max_length=50)
    tag: str | None = Field(default=None, max_length=100)
    enabled: bool | None = None


class EntryOut(BaseModel):
    id: int
    locale: str
    question: str
    answer: str
    keywords: list[str]
    tag: str | None
    enabled: bool
    updated_at: datetime


class ImportOut(BaseModel):
    added: int
    updated: int


def _bot_out(bot: Bot) -> BotOut:
    return BotOut.model_validate(bot, from_attributes=True)


def _entry_out(entry: KnowledgeEntry) -> EntryOut:
    return EntryOut.model_validate(entry, from_attributes=True)


@router.get("/bots", response_model=list[BotOut])
def list_bots(session: DbSession, _: MarketerUser) -> list[BotOut]:
    """Every bot, flow bots and external bots."""
    return [_bot_out(bot) for bot in service.listed(session=session)]


@router.post("/bots", response_model=BotOut, status_code=201)
def create_bot(body: BotIn, session: DbSession, user: MarketerUser) -> BotOut:
    """A bot that runs a flow (trigger `bot`) on the conversations in bot mode of its channels."""
    try:
        bot = service.create(session=session, values=body.model_dump(), actor_id=user.id)
    except service.BotRefused as refused:
        raise HTTPException(422, str(refused)) from None
    session.commit()
    return _bot_out(bot)


@router.get("/bots/{bot_id}", response_model=BotOut)
def get_bot(bot_id: Id, session: DbSession, _: MarketerUser) -> BotOut:
    try:
        return _bot_out(service.get(session=session, bot_id=bot_id))
    except service.NotFound:
        raise HTTPException(404, "no such bot") from None


@router.patch("/bots/{bot_id}", response_model=BotOut)
def update_bot(bot_id: Id, body: BotPatch, session: DbSession, _: MarketerUser) -> BotOut:
    try:
        bot = service.update(session=session, bot_id=bot_id, changes=body.model_dump(exclude_unset=True))
    except service.NotFound:
        raise HTTPException(404, "no such bot") from None
    except service.BotRefused as refused:
        raise HTTPException(422, str(refused)) from None
    session.commit()
    return _bot_out(bot)


@router.get("/bots/{bot_id}/stats", response_model=StatsOut)
def bot_stats(bot_id: Id, session: DbSession, _: MarketerUser) -> StatsOut:
    """Conversations handled, containment (resolved without a person), handoffs by reason, and the knowledge
    base's gaps: the answers that came last before a handoff most often."""
    try:
        service.get(session=session, bot_id=bot_id)
    except service.NotFound:
        raise HTTPException(404, "no such bot") from None
    return StatsOut.model_validate(service.stats(session=session, bot_id=bot_id))


class ConsoleIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"channel_id": 3, "text": "營業時間幾點？"},
                                                              {"channel_id": 3, "button": "opt:order"}]})

    channel_id: int = Field(ge=1, description="the channel whose bot answers, and whose rendering is shown")
    text: str | None = Field(default=None, max_length=4096)
    button: str | None = Field(default=None, max_length=100, description="the id of a button the bot sent")


class ConsoleLine(BaseModel):
    id: int
    direction: Literal["in", "out"]
    text: str | None
    buttons: list[str] = Field(default_factory=list, description="button titles as the channel shows them")
    native: bool = Field(default=False, description="the channel's own buttons (false: written into the text)")
    payload_ids: list[str | None] = Field(default_factory=list, description="the buttons' ids, to tap one")


class ConsoleOut(BaseModel):
    conversation_id: int
    lines: list[ConsoleLine]


@router.post("/bot-console", response_model=ConsoleOut, status_code=202)
def console_say(body: ConsoleIn, session: DbSession, user: MarketerUser) -> ConsoleOut:
    """The test console: say something to the channel's bot as a customer would (its answers come a moment
    later: read them with `GET /bot-console`); nothing is sent to a provider."""
    try:
        conversation_id = console.say(session=session, user_id=user.id or 0, user_name=user.name,
                                      channel_id=body.channel_id, text=body.text, button=body.button)
        session.commit()
        lines = console.transcript(session=session, user_id=user.id or 0, conversation_id=conversation_id)
    except console.ConsoleRefused as refused:
        raise HTTPException(422, str(refused)) from None
    return ConsoleOut(conversation_id=conversation_id, lines=[ConsoleLine(**line) for line in lines])


@router.get("/bot-console", response_model=ConsoleOut)
def console_read(conversation_id: Annotated[int, Query(ge=1)], session: DbSession, user: MarketerUser
                 ) -> ConsoleOut:
    """Your console conversation, the bot's answers as the channel renders them."""
    try:
        lines = console.transcript(session=session, user_id=user.id or 0, conversation_id=conversation_id)
    except console.ConsoleRefused:
        raise HTTPException(404, "no such console conversation") from None
    return ConsoleOut(conversation_id=conversation_id, lines=[ConsoleLine(**line) for line in lines])


@router.post("/agent-bots", response_model=AgentBotOut, status_code=201)
def create_agent_bot(body: AgentBotIn, session: DbSession, user: AdminUser) -> AgentBotOut:
    """An external bot (Rasa, Botpress, Typebot...): Hub posts it signed events and it answers through
    `POST /api/v1/agent-bots/conversations/{id}/messages` or `/handoff` with the token returned here, once."""
    bot, token = service.create_external(session=session, name=body.name, url=body.url, secret=body.secret,
                                         channel_ids=body.channel_ids, actor_id=user.id)
    session.commit()
    return AgentBotOut(**_bot_out(bot).model_dump(), token=token)


@router.get("/knowledge", response_model=list[EntryOut])
def list_knowledge(session: DbSession, _: MarketerUser, locale: Locale | None = None) -> list[EntryOut]:
    """The knowledge base, by language."""
    return [_entry_out(e) for e in knowledge.listed(session=session, locale=locale.value if locale else None)]


@router.post("/knowledge", response_model=EntryOut, status_code=201)
def create_entry(body: EntryIn, session: DbSession, _: MarketerUser) -> EntryOut:
    try:
        entry = knowledge.create(session=session, values={**body.model_dump(), "locale": body.locale.value})
    except knowledge.KnowledgeRefused as refused:
        raise HTTPException(422, str(refused)) from None
    session.commit()
    return _entry_out(entry)


@router.get("/knowledge/export.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {"example": "id,locale,question,answer,keywords,tag,enabled\n"}}}})
def export_knowledge(session: DbSession, _: MarketerUser) -> Response:
    """The knowledge base as CSV (keywords separated by |), to edit in a spreadsheet and import again."""
    return Response(knowledge.export_csv(session=session), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="knowledge.csv"'})


@router.post("/knowledge/import", response_model=ImportOut)
def import_knowledge(session: DbSession, _: MarketerUser,
                     body: Annotated[str, Body(media_type="text/csv", max_length=2_000_000)]) -> ImportOut:
    """CSV rows with an `id` update that entry, rows without one add an entry; one bad row refuses the file."""
    try:
        added, updated = knowledge.import_csv(session=session, text=body)
    except knowledge.KnowledgeRefused as refused:
        session.rollback()
        raise HTTPException(422, str(refused)) from None
    session.commit()
    return ImportOut(added=added, updated=updated)


@router.patch("/knowledge/{entry_id}", response_model=EntryOut)
def update_entry(entry_id: Id, body: EntryPatch, session: DbSession, _: MarketerUser) -> EntryOut:
    changes = body.model_dump(exclude_unset=True)
    if body.locale is not None:
        changes["locale"] = body.locale.value
    try:
        entry = knowledge.update(session=session, entry_id=entry_id, changes=changes)
    except knowledge.NotFound:
        raise HTTPException(404, "no such knowledge entry") from None
    except knowledge.KnowledgeRefused as refused:
        raise HTTPException(422, str(refused)) from None
    session.commit()
    return _entry_out(entry)


@router.delete("/knowledge/{entry_id}", status_code=204)
def delete_entry(entry_id: Id, session: DbSession, _: MarketerUser) -> Response:
    try:
        knowledge.delete(session=session, entry_id=entry_id)
    except knowledge.NotFound:
        raise HTTPException(404, "no such knowledge entry") from None
    session.commit()
    return Response(status_code=204)


# --- what an external bot calls, with its token ---------------------------------------------------------------

bearer = HTTPBearer(auto_error=False, description="an external bot's token (from POST /agent-bots)")


def agent_bot(session: DbSession, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Bot:
    bot = service.by_token(session=session, token=credentials.credentials) if credentials else None
    if bot is None:
        raise HTTPException(403, "this route takes an external bot's token")
    return bot


AgentBot = Annotated[Bot, Depends(agent_bot)]


class BotReplyIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"content": "営業時間は毎日11時から20時までです。"}]})

    content: str = Field(min_length=1, max_length=4096, description="the bot's answer to the customer")


class BotHandoffIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "external", "detail": "refund request"}]})

    reason: HandoffReason = HandoffReason.external
    detail: str | None = Field(default=None, max_length=300, description="for the agent's note")


class BotReplyOut(BaseModel):
    message_id: int
    status: str = Field(examples=["queued"])


def _bot_conversation(session: DbSession, bot: Bot, conversation_id: int) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or (bot.channel_ids and conversation.channel_id not in bot.channel_ids):
        raise HTTPException(404, "no such conversation on this bot's channels")
    if conversation.automation_mode != AutomationMode.bot.value:
        raise HTTPException(409, "a person has taken this conversation: the bot may not answer it")
    return conversation


@router.post("/agent-bots/conversations/{conversation_id}/messages", response_model=BotReplyOut, status_code=202)
def bot_reply(conversation_id: Id, body: BotReplyIn, session: DbSession, bot: AgentBot) -> BotReplyOut:
    """The external bot's answer on a conversation in bot mode; never sent once a person has taken it."""
    conversation = _bot_conversation(session, bot, conversation_id)
    try:
        message, _ = replies.queue_reply(session=session, conversation=conversation, author_id=None,
                                         text=body.content, sender=Sender.bot.value)
    except replies.ReplyRefused as refused:
        raise HTTPException(422, str(refused), headers=refused.headers) from None
    session.commit()
    return BotReplyOut(message_id=message.id or 0, status=message.status)


@router.post("/agent-bots/conversations/{conversation_id}/handoff", status_code=204)
def bot_handoff(conversation_id: Id, body: BotHandoffIn, session: DbSession, bot: AgentBot) -> Response:
    """The external bot hands the conversation to a person (assigned by the rules, with a note)."""
    conversation = _bot_conversation(session, bot, conversation_id)
    locale = texts.canonical(service.collected(session=session, bot_id=bot.id or 0,
                                               conversation_id=conversation_id).get("locale"))
    handoff.hand_off(session, bot_id=bot.id or 0, conversation_id=conversation.id or 0, reason=body.reason.value,
                     locale=locale, detail=body.detail)
    session.commit()
    return Response(status_code=204)
