"""Campaign routes, for marketers and admins: drafts, launch, pause / resume / cancel, stats, CSV and preview."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from channels.preview import address_for, seen
from channels.types import ChannelConfig
from flows.campaigns import jobs as campaign_jobs
from flows.campaigns import service, stats, testsend
from flows.campaigns.models import Campaign, CampaignStatus
from flows.campaigns.personalise import ContactFields, compose, compose_template
from flows.campaigns.preview_fields import in_audience, preview_fields
from hub.api.deps import DbSession, MarketerUser
from hub.channel_records.models import Channel
from hub.channel_records.service import as_config
from hub.contacts.models import Contact
from hub.conversations import outbound
from hub.conversations.models import Message

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])

Id = Annotated[int, Path(ge=1)]
SAMPLE = ContactFields(name="陳大文 Tai Man Chan", custom={"city": "香港"}, coupon="SAMPLE123")


class ButtonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    id: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=2000, description="http(s); rewritten to a tracked link")


class VariantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="A", min_length=1, max_length=20)
    weight: float = Field(default=100, ge=0)
    text: str | None = Field(default=None, max_length=4096, examples=["{{ contact.first_name }}，{{ coupon }} 九折！"])
    media_url: str | None = Field(default=None, max_length=2000)
    media_type: str | None = Field(default=None, max_length=20)
    buttons: list[ButtonIn] = Field(default_factory=list, max_length=10)


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=512)
    language: str = Field(default="en_US", max_length=20)
    params: list[str] = Field(default_factory=list, max_length=20)
    button_url: str | None = Field(default=None, max_length=2000, examples=["https://shop.example/sale"],
                                   description=(
        "the address behind the approved template's first button, a dynamic URL button approved as "
        "`{HUB_PUBLIC_URL}/l/{{1}}`: each recipient's tracked-link token is its parameter, so the customer "
        "gets a native button and the click is counted"))
    content_sid: str | None = Field(default=None, pattern=r"^HX[0-9a-fA-F]{32}$", description=(
        "the same approved template in Twilio's Content API, for `whatsapp_twilio` channels: sent with this "
        "`ContentSid`, `params` as its variables `{{1}}`, `{{2}}`…, and the tracked-link token of `button_url` "
        "as the next one"))


class CampaignPatch(BaseModel):
    """Only the fields given change; only a draft may change. `send_at` without a zone is read as UTC
    (or, with `local_time`, as each recipient's own wall-clock time)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    segment_id: int | None = None
    channel_mode: Literal["fixed", "preferred"] | None = Field(default=None, description=(
        "`fixed`: everyone on the first of `channel_ids`. `preferred`: each customer on the channel of their own "
        "last inbound message among `channel_ids`, else the first in that order they are reachable on and may "
        "get marketing. Either way only a channel the customer is on (an identity of its kind; if they wrote "
        "to a channel of that kind, that one); an opt-out there is skipped, not routed around."))
    channel_ids: list[int] | None = Field(default=None, examples=[[1, 2]], description=(
        "the channel, or the fallback order; channels whose `currency` config differs cannot share a campaign "
        "(one campaign per market: its prices and coupons are in one currency)"))
    variants: list[VariantIn] | None = None
    template: TemplateIn | None = None
    defaults: dict[str, str] | None = Field(default=None, examples=[
        {"first_name": "朋友", "custom.city": "香港", "coupon": "SPRING", "shop": "Harbour Goods"}], description=(
        "what a personal field takes when the contact lacks it: keys `name`, `first_name`, `custom.<key>`, "
        "`coupon`, `shop` (a `contact.` prefix is accepted); a field without a default renders empty"))
    coupon_prefix: str | None = Field(default=None, max_length=20)
    send_at: datetime | None = None
    local_time: bool | None = None
    quiet_start: str | None = Field(default=None, max_length=5, examples=["21:00"], description=(
        "HH:MM in each recipient's time zone; a new campaign takes 21:00-08:00. Set both to null (or equal) "
        "to switch them off: recipients with a known time zone are then sent at any hour; those whose zone is "
        "unknown are still held to 21:00-08:00 in the shop's and their phone country's zones"))
    quiet_end: str | None = Field(default=None, max_length=5, examples=["08:00"])
    throttle_per_second: float | None = Field(default=None, gt=0)
    attribution_hours: int | None = Field(default=None, ge=1, le=24 * 90)

    @field_validator("send_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class CampaignIn(CampaignPatch):
    name: str = Field(min_length=1, max_length=200)
    channel_ids: list[int] = Field(min_length=1)
    variants: list[VariantIn] = Field(min_length=1, max_length=5)


class CampaignOut(BaseModel):
    id: int
    name: str
    status: str
    segment_id: int | None
    channel_mode: str
    channel_ids: list[int]
    variants: list[dict[str, Any]]
    template: dict[str, Any] | None
    defaults: dict[str, str]
    coupon_prefix: str | None
    send_at: datetime | None
    local_time: bool
    quiet_start: str | None
    quiet_end: str | None
    throttle_per_second: float | None
    attribution_hours: int
    created_by: int | None
    created_at: datetime
    launched_at: datetime | None
    finished_at: datetime | None


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: int | None = Field(default=None, description="a real contact; a sample one when absent")
    variant: str | None = None


def _out(campaign: Campaign) -> CampaignOut:
    return CampaignOut.model_validate(campaign.model_dump())


def _data(body: CampaignPatch) -> dict[str, Any]:
    """The fields the caller set, nested models whole (a variant's default name and weight included)."""
    return body.model_dump(include=set(body.model_fields_set), mode="python")


def _refused(error: Exception) -> HTTPException:
    return HTTPException(404 if isinstance(error, service.NotFound) else 422, str(error))


def _found(session: DbSession, campaign_id: int) -> Campaign:
    try:
        return service.get(session=session, campaign_id=campaign_id)
    except service.NotFound as error:
        raise _refused(error) from None


@router.post("", response_model=CampaignOut, status_code=201)
def create_campaign(body: CampaignIn, session: DbSession, user: MarketerUser) -> CampaignOut:
    """Save a draft. A template with a syntax error, an unknown channel or bad weights: 422 with the reason."""
    try:
        campaign = service.create(session=session, data=_data(body), created_by=user.id)
    except service.CampaignError as error:
        raise _refused(error) from None
    session.commit()
    return _out(campaign)


@router.get("", response_model=list[CampaignOut])
def list_campaigns(session: DbSession, _: MarketerUser, status: str | None = None) -> list[CampaignOut]:
    return [_out(c) for c in service.list_campaigns(session=session, status=status)]


@router.get("/{campaign_id}", response_model=CampaignOut)
def get_campaign(campaign_id: Id, session: DbSession, _: MarketerUser) -> CampaignOut:
    return _out(_found(session, campaign_id))


@router.patch("/{campaign_id}", response_model=CampaignOut)
def update_campaign(campaign_id: Id, body: CampaignPatch, session: DbSession, user: MarketerUser) -> CampaignOut:
    try:
        campaign = service.update_draft(session=session, campaign_id=campaign_id, data=_data(body), actor_id=user.id)
    except (service.NotFound, service.CampaignError) as error:
        raise _refused(error) from None
    session.commit()
    return _out(campaign)


@router.post("/{campaign_id}/launch", response_model=CampaignOut, status_code=202)
def launch_campaign(campaign_id: Id, session: DbSession, user: MarketerUser) -> CampaignOut:
    """Snapshot the audience now; sending follows in the background. Launching again changes nothing."""
    try:
        service.launch(session=session, campaign_id=campaign_id, actor_id=user.id)
    except (service.NotFound, service.CampaignError) as error:
        raise _refused(error) from None
    session.commit()
    campaign_jobs.kick(campaign_id)  # the first batch starts now, not at the next sweep
    return _out(_found(session, campaign_id))


@router.post("/{campaign_id}/launch-check")
def launch_check(campaign_id: Id, session: DbSession, _: MarketerUser) -> dict[str, Any]:
    """What launching now would do, without launching: how many people get the message on which channel and
    how many are skipped and why (the launch itself, rolled back). For the "Send to N people?" question."""
    campaign = _found(session, campaign_id)
    if campaign.status != CampaignStatus.draft.value:
        raise HTTPException(409, f"the campaign is {campaign.status}; only a draft can be launched")
    try:
        service.launch(session=session, campaign_id=campaign_id)
        answer = stats.launch_summary(session, campaign_id)
    except (service.NotFound, service.CampaignError) as error:
        raise _refused(error) from None
    finally:
        session.rollback()
    return {"campaign_id": campaign_id, **answer}


class TestSendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel_id: int = Field(ge=1, description="one of the campaign's channels")
    to: str = Field(min_length=1, max_length=64, examples=["+85291234567"],
                    description="your own phone (or the sandbox phone's number), or a Telegram user id")
    variant: str | None = Field(default=None, max_length=20)


@router.post("/{campaign_id}/test-send", status_code=202)
def test_send(campaign_id: Id, body: TestSendIn, session: DbSession, user: MarketerUser) -> dict[str, Any]:
    """Send the campaign's message to one address (yours) through the normal send path: the worker sends it
    like any reply, and it appears in that address's conversation. Outside WhatsApp's 24-hour window the
    campaign's template is sent, as to a customer; with none, 422 with the reason."""
    campaign = _found(session, campaign_id)
    try:
        message = testsend.test_send(session=session, campaign=campaign, channel_id=body.channel_id, to=body.to,
                                     variant=body.variant, actor_id=user.id)
    except service.CampaignError as error:
        raise _refused(error) from None
    session.commit()
    return {"campaign_id": campaign_id, "message_id": message.id, "conversation_id": message.conversation_id,
            "kind": message.kind, "status": message.status}


def _move(session: DbSession, campaign_id: int, change: Callable[..., Campaign]) -> CampaignOut:
    """A lifecycle change: 404 for no such campaign, 409 with the reason when its state does not allow it."""
    try:
        campaign = change(session=session, campaign_id=campaign_id)
    except (service.NotFound, service.CampaignError) as error:
        code = 409 if isinstance(error, service.CampaignError) else 404
        raise HTTPException(code, str(error)) from None
    session.commit()
    return _out(campaign)


@router.post("/{campaign_id}/pause", response_model=CampaignOut)
def pause_campaign(campaign_id: Id, session: DbSession, _: MarketerUser) -> CampaignOut:
    """Stop sending; messages in flight finish."""
    return _move(session, campaign_id, service.pause)


@router.post("/{campaign_id}/resume", response_model=CampaignOut)
def resume_campaign(campaign_id: Id, session: DbSession, _: MarketerUser) -> CampaignOut:
    """Send again after a pause."""
    moved = _move(session, campaign_id, service.resume)
    campaign_jobs.kick(campaign_id)
    return moved


@router.post("/{campaign_id}/cancel", response_model=CampaignOut)
def cancel_campaign(campaign_id: Id, session: DbSession, _: MarketerUser) -> CampaignOut:
    """Pending recipients become skipped (cancelled); messages in flight finish."""
    return _move(session, campaign_id, service.cancel)


@router.post("/{campaign_id}/resend-unknown")
def resend_unknown(campaign_id: Id, session: DbSession, _: MarketerUser) -> dict[str, Any]:
    """Send again, each with a new message, to the recipients whose message may not have been sent (`unknown`:
    the provider did not answer, or a worker died with the message in flight, and no receipt said it arrived;
    some may have it already). Only on the marketer's request; `resent`: how many."""
    try:
        campaign, resent = service.resend_unknown(session=session, campaign_id=campaign_id)
    except service.NotFound as error:
        raise HTTPException(404, str(error)) from None
    except service.CampaignError as error:
        raise HTTPException(409, str(error)) from None
    session.commit()
    if resent and campaign.status == CampaignStatus.running.value:
        campaign_jobs.kick(campaign_id)
    return {"campaign_id": campaign.id, "status": campaign.status, "resent": resent}


router.add_api_route("/{campaign_id}/resend-interrupted", resend_unknown, methods=["POST"],
                     summary="Resend Unknown (the name before `unknown`: kept for existing callers)")


@router.get("/{campaign_id}/stats")
def campaign_stats(campaign_id: Id, session: DbSession, _: MarketerUser) -> dict[str, Any]:
    """`recipients, skipped, queued, sent, delivered, read, failed, replied, clicked, converted`, each also as
    `<name>_rate` of (recipients - skipped); `variants`, `ab_test` (two-proportion z-test) and `funnel`."""
    campaign = _found(session, campaign_id)
    return {"campaign_id": campaign.id, "status": campaign.status, **stats.report(session, campaign_id)}


@router.get("/{campaign_id}/recipients.csv", response_class=StreamingResponse)
def recipients_csv(campaign_id: Id, session: DbSession, _: MarketerUser) -> StreamingResponse:
    """Every recipient with their state and moments, as CSV for a spreadsheet (formulas neutralised)."""
    _found(session, campaign_id)
    rows = list(stats.recipients_csv(session, campaign_id))  # read before the session closes
    return StreamingResponse(iter(rows), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="campaign-{campaign_id}-recipients.csv"'})


STYLE_KINDS = {"whatsapp": "whatsapp_meta", "sms": "sms_twilio", "telegram": "telegram", "webchat": "webchat"}
"""A channel kind that stands for each style the editor shows, for the styles the campaign does not use."""


def style_of(kind: str) -> str:
    return "whatsapp" if kind.startswith("whatsapp") else "sms" if kind.startswith("sms") else kind


def _seen(channel: Channel | None, kind: str, message_kind: str, text: str | None,
          payload: dict[str, Any]) -> dict[str, Any]:
    """What the customer gets, from the request the sender would make: the message stored as a broadcast is
    (`outbound.as_outbound`), rendered by the channel's own renderer (`channels.preview.seen`)."""
    message = Message(conversation_id=0, channel_id=(channel.id or 0) if channel else 0, direction="outbound",
                      kind=message_kind, text=text, payload=payload)
    config = as_config(channel) if channel is not None else ChannelConfig(id=0, kind=kind, config={})
    return seen(kind, outbound.as_outbound(message, address_for(kind)), config)


@router.post("/{campaign_id}/preview")
def preview_campaign(campaign_id: Id, body: PreviewIn, session: DbSession, _: MarketerUser) -> dict[str, Any]:
    """The message as a sample (or given) contact would get it on each of the campaign's channels.

    A given contact must be one the campaign reaches (its segment's member; 404 otherwise), and the
    preview fills in only the fields the campaign's templates name."""
    campaign = _found(session, campaign_id)
    fields = SAMPLE
    if body.contact_id is not None:  # a real contact: only one the campaign reaches, only the fields it uses
        contact = session.get(Contact, body.contact_id)
        if contact is None or not in_audience(session, campaign, body.contact_id, datetime.now(UTC)):
            raise HTTPException(404, "no contact with that id in the campaign's segment")
        fields = preview_fields(campaign, contact, SAMPLE.coupon)
    previews = []
    kind, text, payload = compose(campaign, body.variant, fields)
    template = compose_template(campaign, fields) if campaign.template else None
    channels = [c for c in (session.get(Channel, i) for i in campaign.channel_ids) if c is not None]
    styles = {style_of(c.kind) for c in channels}
    others = [(None, default) for style, default in STYLE_KINDS.items() if style not in styles]
    for channel, channel_kind in [(c, c.kind) for c in channels] + others:
        entry: dict[str, Any] = {"channel_id": channel.id if channel else None, "channel_kind": channel_kind,
                                 "style": style_of(channel_kind), "in_campaign": channel is not None,
                                 "kind": kind, "text": text, "buttons": payload.get("buttons", []),
                                 "media_url": payload.get("media_url"),
                                 "seen": _seen(channel, channel_kind, kind, text, payload)}
        if template is not None and channel_kind.startswith("whatsapp"):
            t_kind, t_text, t_payload = template
            entry["outside_window"] = {"kind": t_kind, "template_name": t_payload["template_name"],
                                       "template_language": t_payload["template_language"],
                                       "template_params": t_payload["template_params"],
                                       "seen": _seen(channel, channel_kind, t_kind, t_text, t_payload)}
        previews.append(entry)
    return {"campaign_id": campaign.id, "previews": previews}
