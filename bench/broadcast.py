"""Broadcast benchmark: one campaign to N recipients (100,000; BENCH_BROADCAST_N to change) sent by two
`hub worker`s on PostgreSQL + Redis to a fake Graph API that answers at once (its own process), throttle
set high so Hub is the limit; then 3 signed receipts per message (sent, delivered, read) posted to Hub's
real webhook and processed by the same two workers (processed: the events stored and every tracking job
they queued finished).

Prints messages handed to the provider per second (launch to done), receipts processed per second (first
post to last processed), the campaign's stats against the exact counts, calls per recipient at the fake
(none twice) and each worker's peak RSS. Run: `.venv/bin/python bench/broadcast.py` (`BENCH_RECEIPTS=0`: the
sending half only).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import redis
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    REDIS,
    Request,
    free_port,
    fresh_schema,
    hub_env,
    hub_process,
    post_all,
    start,
    start_workers,
    stop,
    wait_http,
)

N = int(os.environ.get("BENCH_BROADCAST_N", "100000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "64"))
APP_SECRET, PHONE_NUMBER_ID = "bench-app-secret", "106540352242922"


# --- the fake provider (run as `broadcast.py provider PORT LOG`) ----------------------------------------

def serve_provider(port: int, log_path: str) -> None:
    """Graph's `/messages`: a wamid per call, the `to` of every call written to `log_path` on SIGTERM."""
    calls: list[str] = []

    async def messages(request: web.Request) -> web.Response:
        body = await request.json()
        calls.append(body.get("to", ""))
        return web.json_response({"messaging_product": "whatsapp", "contacts": [{"input": body.get("to")}],
                                  "messages": [{"id": f"wamid.B{len(calls)}"}]})

    async def dump(_app: web.Application) -> None:
        Path(log_path).write_text("\n".join(calls))

    app = web.Application()
    app.router.add_post("/{version}/{phone_number_id}/messages", messages)
    app.on_shutdown.append(dump)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# --- setup --------------------------------------------------------------------------------------------------

def setup(database_url: str, public_url: str, provider_url: str) -> tuple[int, int]:
    """A WhatsApp channel pointed at the fake, N contacts with a number each, a running campaign, its recipients."""
    os.environ.update(HUB_DATABASE_URL=database_url, HUB_REDIS_URL=REDIS, HUB_PUBLIC_URL=public_url,
                      HUB_ALLOW_PRIVATE_URLS="true", HUB_SECRET_KEY="bench-secret-key-0123456789-0123456789")
    from hub.channel_records import service as channels
    from hub.runtime import db
    from hub.runtime.settings import get_settings

    get_settings.cache_clear()
    db.reset_engines()
    with db.session_scope() as session:
        channel = channels.create(session=session, kind="whatsapp_meta", name="bench broadcast", config={
            "phone_number_id": PHONE_NUMBER_ID, "access_token": "x", "app_secret": APP_SECRET,
            "verify_token": "v", "api_base": provider_url},
            marketing_consent_required=False)  # the sending engine is measured here, not consent
        channel_id = int(channel.id or 0)
    template = json.dumps({"name": "spring_sale", "language": "en", "params": ["{{ contact.first_name }}"]})
    raw = db.get_engine().raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("INSERT INTO campaign (name, status, channel_mode, channel_ids, variants, template, defaults, "
                       "local_time, throttle_per_second, attribution_hours, created_at, launched_at) VALUES "
                       "('bench', 'running', 'fixed', %s, '[]', %s, '{}', false, 100000, 72, now(), now()) "
                       "RETURNING id", (json.dumps([channel_id]), template))
        campaign_id = int(cursor.fetchone()[0])
        # a known zone: an unknown one waits for daytime in the shop's zone and the phone's (issue 12)
        _copy(cursor, "contact (id, name, custom_fields, timezone, created_at, updated_at)",
              (f"{i}\t客人 {i}\t{{}}\tAsia/Hong_Kong\t2026-01-01 00:00:00+00\t2026-01-01 00:00:00+00\n"
               for i in range(1, N + 1)))
        _copy(cursor, "channel_identity (contact_id, kind, value, phone, verified, created_at)",
              (f"{i}\twhatsapp\t+8525{i:07d}\t+8525{i:07d}\tf\t2026-01-01 00:00:00+00\n" for i in range(1, N + 1)))
        _copy(cursor, "campaign_recipient (campaign_id, contact_id, channel_id, variant, state, due_at, attempts)",
              (f"{campaign_id}\t{i}\t{channel_id}\tA\tpending\t2026-01-01 00:00:00+00\t0\n" for i in range(1, N + 1)))
        cursor.execute("SELECT setval('contact_id_seq', %s)", (N,))
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    db.reset_engines()
    return campaign_id, channel_id


def _retrained_today() -> None:
    """The Redis flush above also forgot that today's nightly tagger retrain ran; mark it done, as it is on
    a live installation, so the workers' first sweep does not start a retrain in the middle of the run."""
    from hub.runtime import broker
    from hub.runtime.db import utcnow
    from hub.tagging.jobs import NIGHTLY_RETRAIN

    broker.connection().set(NIGHTLY_RETRAIN.key(utcnow()), 1, ex=86400)


def _copy(cursor: object, target: str, lines: object) -> None:
    buffer = io.StringIO("".join(lines))  # type: ignore[arg-type]
    with cursor.copy(f"COPY {target} FROM STDIN") as copy:  # type: ignore[attr-defined]
        copy.write(buffer.getvalue())


def scalar(sql: str) -> int:
    from sqlalchemy import text

    from hub.runtime import db

    with db.get_engine().connect() as conn:
        return int(conn.execute(text(sql)).scalar_one() or 0)


def tracking_busy() -> bool:
    """Jobs the receipts queued (campaign tracking) still waiting or running: processed means these too."""
    from hub.runtime import broker

    inbound = broker.queue("inbound")
    return inbound.count > 0 or inbound.started_job_registry.count > 0


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def receipt(channel_id: int, wamid: str, to: str, status: str, n: int) -> Request:
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {
            "display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
            "statuses": [{"id": wamid, "status": status, "timestamp": str(1763830000 + n),
                          "recipient_id": to.lstrip("+")}]}}]}]}).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return Request(f"/webhooks/meta/{channel_id}", body,
                   {"Content-Type": "application/json", "X-Hub-Signature-256": signature})


# --- the run ------------------------------------------------------------------------------------------------

def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="hub-bench-broadcast-"))
    url = fresh_schema("bench_broadcast")
    redis.Redis.from_url(REDIS).flushdb()
    port, provider_port = free_port(), free_port()
    public_url, provider_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{provider_port}"
    provider_log = work / "provider-calls.txt"
    provider = start([sys.executable, __file__, "provider", str(provider_port), str(provider_log)], dict(os.environ),
                     work / "provider.log")
    seeded = time.perf_counter()
    campaign_id, channel_id = setup(url, public_url, provider_url)
    print(f"broadcast benchmark: {N} recipients, 2 workers, PostgreSQL + Redis (seeded in "
          f"{time.perf_counter() - seeded:.1f} s)")
    env = hub_env(url, port, work)
    _retrained_today()
    workers, first_ready, last_ready = start_workers(env, work)
    print(f"  workers ready (imported, connected, registered) in {first_ready:.1f} / {last_ready:.1f} s")
    from flows.campaigns import jobs

    started = time.perf_counter()
    jobs.kick(campaign_id)
    while scalar(f"SELECT count(*) FROM campaign WHERE id = {campaign_id} AND status = 'done'") == 0:
        time.sleep(0.1)
    sending = time.perf_counter() - started
    sent = scalar(f"SELECT count(*) FROM campaign_recipient WHERE campaign_id = {campaign_id} AND state = 'sent'")
    print(f"  sent {sent} of {N} in {sending:.1f} s: {sent / sending:.0f} messages/s handed to the provider")

    if os.environ.get("BENCH_RECEIPTS", "1") == "0":  # sending only
        stop(*workers)
        stop(provider)
        return
    server = hub_process(["serve", "--port", str(port)], env, work / "serve.log")
    wait_http(public_url + "/healthz")
    from sqlalchemy import text

    from hub.runtime import db

    with db.get_engine().connect() as conn:
        rows = conn.execute(text("SELECT m.provider_message_id, i.phone FROM message m JOIN conversation c "
                                 "ON c.id = m.conversation_id JOIN channel_identity i ON i.contact_id = c.contact_id "
                                 "WHERE m.client_key LIKE 'broadcast:%' ORDER BY m.id")).all()
    load = [receipt(channel_id, wamid, to, status, n) for status in ("sent", "delivered", "read")
            for n, (wamid, to) in enumerate(rows)]
    started = time.perf_counter()
    posted = post_all(public_url, load, CONCURRENCY)
    while scalar("SELECT count(*) FROM webhook_event WHERE processed_at IS NULL") > 0 or tracking_busy():
        time.sleep(0.2)
    receipts_seconds = time.perf_counter() - started
    print(f"  receipts: {len(load)} posted at {posted.per_second:.0f}/s (p99 {posted.percentile(0.99):.0f} ms, "
          f"statuses {posted.statuses}); all processed in {receipts_seconds:.1f} s: "
          f"{len(load) / receipts_seconds:.0f} receipts/s")
    from flows.campaigns import stats

    with db.session_scope() as session:
        numbers = stats.counts(session, campaign_id)
    expected = {"recipients": N, "sent": N, "delivered": N, "read": N, "failed": 0, "queued": 0}
    shown = {key: numbers[key] for key in expected}
    print(f"  stats {shown}: {'exact' if shown == expected else 'NOT exact, expected ' + str(expected)}")
    rss = [peak_rss_mb(worker.pid) for worker in workers]
    stop(server, *workers)
    stop(provider)
    provider.wait(timeout=30)
    calls = Counter(provider_log.read_text().split()) if provider_log.exists() else Counter()
    print(f"  provider calls {sum(calls.values())}, recipients called {len(calls)}, "
          f"called twice {sum(1 for c in calls.values() if c > 1)}")
    print("  worker peak RSS " + ", ".join(f"{value:.0f} MB" for value in rss))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "provider":
        asyncio.set_event_loop(asyncio.new_event_loop())
        serve_provider(int(sys.argv[2]), sys.argv[3])
    else:
        main()
