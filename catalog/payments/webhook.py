"""`POST /webhooks/stripe`: verify the signature, store the raw event, commit, enqueue, answer.

Stripe expects 400 for an event it should not retry as is (a bad, missing or stale signature), and
a 2xx only once the event is safe: here that means committed to the raw-event inbox (provider `stripe`,
unique on Stripe's `evt_…` id, the type kept as the endpoint).
"""

from __future__ import annotations

import logging

import stripe
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from catalog.payments import jobs, service
from catalog.payments.stripe_checkout import webhook_secret
from hub.runtime import inbox
from hub.runtime.db import session_scope

log = logging.getLogger(__name__)

router = APIRouter(tags=["payments"])

MAX_BODY = 1024 * 1024
PROVIDER = jobs.PROVIDER
TOLERANCE_SECONDS = 300


def _refuse(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def store(event_id: str, event_type: str, body: bytes) -> tuple[int, bool]:
    """Store and commit one event; (row id, whether it still needs processing). A repeat inserts nothing."""
    with session_scope() as session:
        return inbox.store(session, provider=PROVIDER, event_id=event_id, endpoint=event_type, body=body)


@router.post("/webhooks/stripe", include_in_schema=True, summary="Stripe events (signed)")
async def receive(request: Request) -> JSONResponse:
    """A signed Stripe event: 200 once stored (or already stored, or a type Hub ignores); 400 if unsigned."""
    body = await request.body()
    if len(body) > MAX_BODY:
        return _refuse(413, "the body is larger than 1 MiB")
    try:
        event = stripe.Webhook.construct_event(body, request.headers.get("stripe-signature"), webhook_secret(),
                                               tolerance=TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as error:
        return _refuse(400, f"signature check failed: {error.user_message or error}")
    except (ValueError, UnicodeDecodeError):
        return _refuse(400, "malformed body: not a Stripe event in JSON")
    fields = event.to_dict()
    event_id, event_type = str(fields.get("id") or ""), str(fields.get("type") or "")
    if not event_id.startswith("evt_") or not event_type:
        return _refuse(400, "malformed body: an event needs an evt_ id and a type")
    if not service.handles(event_type):
        return JSONResponse({"received": True, "ignored": True})
    try:
        row_id, pending = await run_in_threadpool(store, event_id, event_type, body)
    except Exception:
        log.exception("could not store a Stripe event")
        return _refuse(503, "the event could not be stored; retry later")
    if pending:  # new, or stored before but its job was lost: the job is safe to run twice
        await run_in_threadpool(jobs.enqueue, row_id)
    return JSONResponse({"received": True})
