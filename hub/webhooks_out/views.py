"""`/api/v1/webhook-endpoints` and `/api/v1/webhook-deliveries`: admins register endpoints, read the
delivery log and replay a delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, HttpUrl
from sqlmodel import col, select

from hub.api.deps import AdminUser, DbSession
from hub.webhooks_out import service
from hub.webhooks_out.events import EventType
from hub.webhooks_out.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

router = APIRouter(prefix="/api/v1", tags=["outgoing webhooks"])
Id = Annotated[int, Path(ge=1)]


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl = Field(examples=["https://erp.example.com/hub-events"],
                         description="http(s) on a public address: loopback, private and metadata addresses "
                                     "are refused (422)")
    event_types: list[EventType] = Field(min_length=1, examples=[["message.received", "order.paid"]])
    description: str = Field(default="", max_length=200)


class EndpointPatch(BaseModel):
    """Only the fields given change. `enabled: true` on an endpoint Hub disabled clears its notice."""

    model_config = ConfigDict(extra="forbid")

    url: HttpUrl | None = None
    event_types: list[EventType] | None = Field(default=None, min_length=1)
    description: str | None = Field(default=None, max_length=200)
    enabled: bool | None = None


class EndpointOut(BaseModel):
    id: int
    url: str
    description: str
    event_types: list[EventType]
    enabled: bool
    disabled_reason: str | None = Field(description="why Hub disabled it after persistent failure (null: it did "
                                                    "not)")
    consecutive_failures: int
    failing_since: datetime | None
    created_at: datetime
    secret: str = Field(description="the Standard Webhooks signing secret; verify with "
                                    "`standardwebhooks.Webhook(secret).verify(body, headers)`",
                        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])


class AttemptOut(BaseModel):
    number: int
    started_at: datetime
    status_code: int | None
    latency_ms: int | None
    response_excerpt: str | None = Field(description="the start of the endpoint's answer (500 characters)")
    error: str | None


class DeliveryOut(BaseModel):
    id: int
    endpoint_id: int
    message_id: str = Field(description="the webhook-id header (the same for every attempt)", examples=["msg_…"])
    event_type: EventType
    payload: dict[str, Any] = Field(examples=[{"type": "message.received", "timestamp": "2026-12-06T05:00:00Z",
                                               "data": {"message_id": 41, "conversation_id": 7}}])
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    replay_of_id: int | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptOut]


def endpoint_out(row: WebhookEndpoint) -> EndpointOut:
    return EndpointOut(**row.model_dump(exclude={"secret"}), secret=service.signing_secret(row))


def delivery_out(row: WebhookDelivery, attempts: list[WebhookAttempt]) -> DeliveryOut:
    return DeliveryOut(**row.model_dump(),
                       attempt_log=[AttemptOut.model_validate(a, from_attributes=True) for a in attempts])


def _endpoint(session: DbSession, endpoint_id: int) -> WebhookEndpoint:
    row = session.get(WebhookEndpoint, endpoint_id)
    if row is None:
        raise HTTPException(404, "no such webhook endpoint")
    return row


@router.get("/webhook-endpoints", response_model=list[EndpointOut])
def list_endpoints(session: DbSession, user: AdminUser) -> list[EndpointOut]:
    return [endpoint_out(row) for row in session.exec(select(WebhookEndpoint).order_by(col(WebhookEndpoint.id)))]


@router.post("/webhook-endpoints", response_model=EndpointOut, status_code=201)
def create_endpoint(body: EndpointIn, session: DbSession, user: AdminUser) -> EndpointOut:
    """Register an endpoint; Hub generates its `whsec_` signing secret."""
    try:
        row, _ = service.create(session=session, actor_id=user.id, url=str(body.url), event_types=body.event_types,
                                description=body.description)
    except service.EndpointRefused as error:
        raise HTTPException(422, str(error)) from None
    session.commit()
    return endpoint_out(row)


@router.patch("/webhook-endpoints/{endpoint_id}", response_model=EndpointOut)
def change_endpoint(endpoint_id: Id, body: EndpointPatch, session: DbSession, user: AdminUser) -> EndpointOut:
    row = _endpoint(session, endpoint_id)
    values = body.model_dump(exclude_unset=True)
    if values.get("url") is not None:
        values["url"] = str(values["url"])
    values = {key: value for key, value in values.items() if value is not None}
    try:
        service.change(session=session, actor_id=user.id, endpoint=row, values=values)
    except service.EndpointRefused as error:
        raise HTTPException(422, str(error)) from None
    session.commit()
    return endpoint_out(row)


@router.delete("/webhook-endpoints/{endpoint_id}", status_code=204, response_class=Response)
def delete_endpoint(endpoint_id: Id, session: DbSession, user: AdminUser) -> Response:
    """Delete the endpoint and its delivery log."""
    service.delete(session=session, actor_id=user.id, endpoint=_endpoint(session, endpoint_id))
    session.commit()
    return Response(status_code=204)


@router.get("/webhook-endpoints/{endpoint_id}/deliveries", response_model=list[DeliveryOut])
def list_deliveries(endpoint_id: Id, session: DbSession, user: AdminUser, before_id: int | None = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[DeliveryOut]:
    """The delivery log, newest first, each delivery with its attempts (status code, latency, answer)."""
    _endpoint(session, endpoint_id)
    return [delivery_out(row, attempts) for row, attempts in
            service.deliveries(session=session, endpoint_id=endpoint_id, before_id=before_id, limit=limit)]


@router.post("/webhook-deliveries/{delivery_id}/replay", response_model=DeliveryOut, status_code=202)
def replay_delivery(delivery_id: Id, session: DbSession, user: AdminUser) -> DeliveryOut:
    """Send a delivery's event again, as a new delivery queued at once."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise HTTPException(404, "no such webhook delivery")
    row = service.replay(session=session, actor_id=user.id, delivery=delivery)
    session.commit()
    return delivery_out(row, [])
