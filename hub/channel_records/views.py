"""Admin routes for channels. Secrets go in; they never come out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from hub.api.deps import AdminUser, DbSession
from hub.audit.service import record
from hub.channel_records import service, test_send
from hub.channel_records.models import Channel

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])


class ChannelCreate(BaseModel):
    kind: str = Field(examples=["whatsapp_meta"])
    name: str = Field(min_length=1, max_length=200)
    config: dict[str, Any] = Field(default_factory=dict)
    team_ids: list[int] = Field(default_factory=list)
    marketing_consent_required: bool | None = Field(
        default=None, description="Broadcasts only to contacts who opted in here. Unset: required on WhatsApp "
                                  "(Meta's policy), not on SMS, Telegram and web chat.")


class TestMessage(BaseModel):
    to: str = Field(min_length=1, max_length=64, description="A phone number in E.164 (SMS, WhatsApp) or a "
                    "Telegram chat id", examples=["+85291234567"])
    text: str = Field(default=test_send.DEFAULT_TEXT, max_length=1000, examples=["Test message from Hub"])


class ChannelPolicy(BaseModel):
    marketing_consent_required: bool | None = Field(
        description="true: broadcasts only to contacts with a marketing opt-in on this channel; false: to everyone "
                    "not opted out; null: the default of the kind (required on WhatsApp)")


@router.post("", status_code=201)
def create_channel(body: ChannelCreate, session: DbSession, admin: AdminUser) -> dict[str, Any]:
    """Connect a number, bot or widget. With no credentials it talks to Hub's sandbox."""
    try:
        channel = service.create(session=session, kind=body.kind, name=body.name, config=body.config,
                                 team_ids=body.team_ids, marketing_consent_required=body.marketing_consent_required)
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    record(session=session, actor_id=admin.id, action="channel.create", target_type="channel",
           target_id=channel.id, details={"kind": channel.kind, "name": channel.name})
    session.commit()
    return service.public_view(channel)


@router.get("")
def list_channels(session: DbSession, admin: AdminUser) -> list[dict[str, Any]]:
    return [service.public_view(channel) for channel in service.list_all(session=session)]


@router.put("/{channel_id}/marketing-policy")
def set_marketing_policy(channel_id: int, body: ChannelPolicy, session: DbSession, admin: AdminUser
                         ) -> dict[str, Any]:
    """Whether a broadcast on this channel needs the contact's marketing opt-in."""
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise HTTPException(404, "no such channel")
    service.set_marketing_policy(session=session, channel=channel, required=body.marketing_consent_required)
    record(session=session, actor_id=admin.id, action="channel.marketing_policy", target_type="channel",
           target_id=channel_id, details={"marketing_consent_required": body.marketing_consent_required})
    session.commit()
    return service.public_view(channel)


@router.post("/{channel_id}/test-message", status_code=202)
def send_test_message(channel_id: int, body: TestMessage, session: DbSession, admin: AdminUser) -> dict[str, Any]:
    """Send a test message to the address typed, through the channel's normal send path (a conversation
    with that address appears in the inbox; its ticks show whether the provider took it)."""
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise HTTPException(404, "no such channel")
    try:
        message = test_send.send_test(session=session, channel=channel, to=body.to, text=body.text,
                                      actor_id=admin.id)
    except test_send.TestRefused as error:
        raise HTTPException(422, str(error)) from None
    record(session=session, actor_id=admin.id, action="channel.test_message", target_type="channel",
           target_id=channel_id, details={"message_id": message.id})
    session.commit()  # the send job is enqueued by the MESSAGE_CREATED listener
    return {"message_id": message.id, "conversation_id": message.conversation_id, "status": message.status}
