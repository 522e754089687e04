"""Sending one delivery: claim its retry slot, POST the signed body through the guarded client, record it.

Retry slots: the first attempt at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, … until three days
after the event; then the delivery has failed. A slot is claimed by one conditional UPDATE (attempts = n-1
→ n) and an attempt row unique on (delivery, n), committed before the request: a job run twice, or by two
workers, sends once per slot. A worker that dies mid-request leaves the slot claimed; its lease
(`next_attempt_at` pushed `LEASE` ahead) runs out and the sweeper takes the next slot.

An endpoint is disabled (with an audit entry and a reason shown on it) after `DISABLE_AFTER_FAILURES`
failures in a row, or when it has failed without a success for `DISABLE_AFTER`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select
from standardwebhooks import Webhook

from channels.netguard import BlockedDestination, blocked_reason, check_url, guarded_session
from hub.audit import service as audit
from hub.runtime.db import as_utc, get_engine, utcnow
from hub.runtime.settings import get_settings
from hub.webhooks_out import secret
from hub.webhooks_out.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

SCHEDULE = (timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
            timedelta(hours=5), timedelta(hours=10))
"""The wait after the n-th failed attempt; after the last, 10 hours each time."""
GIVE_UP_AFTER = timedelta(days=3)
DISABLE_AFTER = timedelta(days=3)
DISABLE_AFTER_FAILURES = 100
LEASE = timedelta(minutes=2)
RECORD_WAITS = (0.5, 1, 2, 4, 8, 15)
"""Seconds between tries to record an attempt's outcome (30 s in all: within the job's 60 s and the lease)."""
TIMEOUT_SECONDS = 15
EXCERPT = 500
USER_AGENT = "Hub-Webhooks/1"


def wait_after(attempt: int) -> timedelta:
    return SCHEDULE[min(attempt, len(SCHEDULE)) - 1]


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    excerpt: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def deliver(delivery_id: int, now: datetime | None = None) -> str:
    """Job: make this delivery's due attempt, if it is due and nobody made it; what happened, in a word."""
    now = now or utcnow()
    engine = get_engine()
    with Session(engine, expire_on_commit=False) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status != DeliveryStatus.pending:
            return "done"
        if delivery.next_attempt_at is not None and as_utc(delivery.next_attempt_at) > now:
            return "not due"
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        if endpoint is None or not endpoint.enabled:
            _finish(session, delivery, DeliveryStatus.failed, "the endpoint is disabled")
            session.commit()
            return "endpoint disabled"
        number = delivery.attempts + 1
        claimed = session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == delivery_id, col(WebhookDelivery.attempts) == number - 1,
                   col(WebhookDelivery.status) == DeliveryStatus.pending.value)
            .values(attempts=number, next_attempt_at=now + LEASE)).rowcount  # type: ignore[attr-defined]
        if claimed != 1:
            session.rollback()
            return "taken"
        attempt = WebhookAttempt(delivery_id=delivery_id, number=number, started_at=now)
        session.add(attempt)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return "taken"
        url, signing_secret = endpoint.url, secret.unseal(endpoint.secret)
        message_id, payload = delivery.message_id, delivery.payload

    outcome = post(url, signing_secret, message_id, payload)
    return _record_patiently(delivery_id, number, outcome, now)


def _record_patiently(delivery_id: int, number: int, outcome: Outcome, now: datetime) -> str:
    """Record the attempt, waiting out a database restart: an outcome lost here is a second POST once the lease ends
    (the same event again, for the receiver to recognise by its id), so it is worth some seconds of the job's."""
    for wait in RECORD_WAITS:
        try:
            return _record(delivery_id, number, outcome, now)
        except OperationalError as error:
            log.warning("could not record attempt %s of delivery %s (%s); trying again in %s s", number,
                        delivery_id, str(error.orig or error).splitlines()[0], wait)
            time.sleep(wait)
    return _record(delivery_id, number, outcome, now)


def _record(delivery_id: int, number: int, outcome: Outcome, now: datetime) -> str:
    with Session(get_engine(), expire_on_commit=False) as session:
        attempt = session.exec(select(WebhookAttempt).where(col(WebhookAttempt.delivery_id) == delivery_id,
                                                            col(WebhookAttempt.number) == number)).one()
        if attempt.status_code is not None or attempt.error is not None:
            return "recorded"  # a try whose commit went through though its answer was lost
        attempt.status_code, attempt.latency_ms = outcome.status_code, outcome.latency_ms
        attempt.response_excerpt, attempt.error = outcome.excerpt, outcome.error
        session.add(attempt)
        delivery = session.get(WebhookDelivery, delivery_id)
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
        if delivery is None or endpoint is None:
            session.commit()
            return "gone"
        delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
        if outcome.ok:
            _finish(session, delivery, DeliveryStatus.delivered, None, at=now)
            session.execute(update(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint.id)
                            .values(consecutive_failures=0, failing_since=None))
            session.commit()
            return "delivered"
        following = now + wait_after(number)
        if following - as_utc(delivery.created_at) > GIVE_UP_AFTER:
            _finish(session, delivery, DeliveryStatus.failed, outcome.error or f"HTTP {outcome.status_code}")
        else:
            delivery.next_attempt_at = following
            session.add(delivery)
        _count_failure(session, endpoint, now)
        session.commit()
        return "failed"


def _finish(session: Session, delivery: WebhookDelivery, status: DeliveryStatus, error: str | None,
            at: datetime | None = None) -> None:
    delivery.status, delivery.next_attempt_at = status.value, None
    if error is not None:
        delivery.last_error = error[:500]
    if status == DeliveryStatus.delivered:
        delivery.delivered_at = at or utcnow()
    session.add(delivery)


def _count_failure(session: Session, endpoint: WebhookEndpoint, now: datetime) -> None:
    session.execute(update(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint.id)
                    .values(consecutive_failures=col(WebhookEndpoint.consecutive_failures) + 1))
    if endpoint.failing_since is None:
        session.execute(update(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint.id,
                                                      col(WebhookEndpoint.failing_since).is_(None))
                        .values(failing_since=now))
    session.refresh(endpoint)
    since = as_utc(endpoint.failing_since) if endpoint.failing_since else now
    if endpoint.enabled and (endpoint.consecutive_failures >= DISABLE_AFTER_FAILURES or now - since >= DISABLE_AFTER):
        disable(session, endpoint, now)


def disable(session: Session, endpoint: WebhookEndpoint, now: datetime) -> None:
    """Turn a failing endpoint off, say why on it, and tell the admins in the audit log."""
    reason = (f"disabled by Hub on {now:%Y-%m-%d %H:%M} UTC: {endpoint.consecutive_failures} deliveries in a row "
              f"failed since {as_utc(endpoint.failing_since or now):%Y-%m-%d %H:%M} UTC")
    changed = session.execute(update(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint.id,
                                                            col(WebhookEndpoint.enabled))
                              .values(enabled=False, disabled_reason=reason, updated_at=now)).rowcount  # type: ignore[attr-defined]
    if changed:
        audit.record(session=session, actor_id=None, action="webhook_endpoint.disabled",
                     target_type="webhook_endpoint", target_id=endpoint.id,
                     details={"url": endpoint.url, "reason": reason})
        log.warning("webhook endpoint %s disabled after persistent failure", endpoint.id)


def post(url: str, signing_secret: str, message_id: str, payload: dict[str, object]) -> Outcome:
    """One signed POST (no redirects followed: a 3xx is a failure, and cannot lead to an internal host)."""
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    signed_at = datetime.now(UTC)  # the wall clock: receivers check the timestamp against theirs
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": Webhook(signing_secret).sign(message_id, signed_at, data),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
    started = time.perf_counter()
    try:
        status, text = asyncio.run(_send(url, data, headers))
    except BlockedDestination as error:
        return Outcome(None, _ms(started), None, f"refused: {error}"[:500])
    except (aiohttp.ClientError, TimeoutError, OSError) as error:
        reason = blocked_reason(error)
        text = f"refused: {reason}" if reason else f"{type(error).__name__}: {error}".rstrip(": ")
        return Outcome(None, _ms(started), None, text[:500])
    return Outcome(status, _ms(started), text[:EXCERPT], None if 200 <= status < 300 else f"HTTP {status}")


async def _send(url: str, data: bytes, headers: dict[str, str]) -> tuple[int, str]:
    allow_private = get_settings().allow_private_urls
    check_url(url, allow_private=allow_private)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    async with (guarded_session(allow_private=allow_private, timeout=timeout, connections=1) as client,
                client.post(url, data=data, headers=headers, allow_redirects=False) as answer):
        raw = await answer.content.read(EXCERPT * 4)
        return answer.status, raw.decode("utf-8", "replace")


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
