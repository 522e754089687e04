"""Chaos run (issue 19): Hub spread over several processes on loopback, with failures injected while it works.

Set-up, all on 127.0.0.1 and in a temporary folder:
- PostgreSQL: a server of this run's own (bench/postgres_server.py: `initdb` into the temporary folder, a free
  loopback port, trust authentication, fsync on, 128 MB of shared buffers; as the `postgres` OS user when this
  runs as root), its database `chaos` reached by every Hub process through a PgBouncer of its own in transaction
  mode (port 16432, `HUB_DATABASE_POOLED=true`). Without PostgreSQL's binaries (`initdb`, `pg_ctl`: Debian's
  /usr/lib/postgresql/N/bin, PATH, or BENCH_PG_BIN) the run says so and falls back to a database `chaos` on the
  shared server (BENCH_CHAOS_POSTGRES), whose restart it can only simulate (below);
- Redis: a master (16379) and a replica (16380) watched by three Sentinels (26379-26381, quorum 2); Hub finds the
  master through them (`HUB_REDIS_SENTINELS`, `HUB_REDIS_SENTINEL_MASTER=chaos`);
- two `hub serve` API processes behind HAProxy (18080, health checks on /healthz);
- four `hub worker`s in two pools (`--queues inbound outbound` and `--queues campaigns flows webhooks-out reports
  bulk`, two each) and two sweepers: each periodic job is offered by the workers serving its queue, so a sweeper
  here is a `hub worker --queues maintenance` (the sweeps of lost sends, retention, loyalty...);
- one fake provider process speaking the Graph API (`/{version}/{phone_number_id}/messages`), Twilio's
  `Messages.json` and the Telegram Bot API, which also receives Hub's outgoing webhooks (`/hook`, the first post
  of one delivery in ten answered 503, so retry series happen) and counts every call.

During the window (BENCH_CHAOS_SECONDS, 120 s at scale 1): signed webhooks stream in through HAProxy (Meta, Twilio,
Telegram; 5% are repeats; a sender retries what was not acknowledged, as providers do), a broadcast to 20,000
recipients sends (its throttle spreads it over 60% of the window), 2,000 journey runs wait on a step falling due
across the window, and an outgoing webhook endpoint hears `message.received`. At seeded random moments: SIGKILL a
worker, a sweeper and an API process (each started again two seconds later), kill the Redis master (Sentinel
promotes the replica; the old master comes back as a replica), and restart PostgreSQL: `pg_ctl restart -m
immediate`, a stop without a checkpoint as in a crash, so the server recovers from its WAL on start and its shared
buffers are gone; PgBouncer stays up in front and connects again. The line printed says how long the server took
no connections and how long through PgBouncer (which waits `server_login_retry`, 1 s, after a refused login). In
the fallback on the shared server the restart is simulated: the database's backends are ended with
pg_terminate_backend and PgBouncer is SIGKILLed and started again.

Then, once Hub is idle again, the invariants (any violation: exit status 1):
1. every acknowledged (2xx) webhook is a stored message (by provider message id), and no stored event failed;
2. every broadcast recipient got exactly one provider call (counted at the fake, by number), or is `unknown` with
   a reason after at most one; none is left pending or sending;
3. every due journey step ran once: every run completed, with exactly one `passed` event;
4. every inbound message made one outgoing delivery, all delivered, and no delivery was posted more often than it
   claimed retry slots; a delivery answered 2xx twice must have an interrupted (killed) attempt before.

Last, broadcast throughput with 1, 2 and 4 workers (no failures, throttle off).

Sizes: BENCH_CHAOS_SCALE (1 = 20,000 recipients, 2,000 runs, 40 webhooks/s for 120 s; 0.1 takes about two
minutes), BENCH_CHAOS_SEED (random when unset; printed). Run: `.venv/bin/python bench/chaos.py`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import httpx
import psycopg
import redis
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import postgres_server  # noqa: E402
from bench.common import ROOT, free_port, wait_http  # noqa: E402

SCALE = float(os.environ.get("BENCH_CHAOS_SCALE", "1"))
BACKGROUND = ("campaigns", "flows", "webhooks-out", "reports", "bulk")
"""The second pool's queues (the first is inbound + outbound, the sweepers serve maintenance)."""
SEED = int(os.environ.get("BENCH_CHAOS_SEED") or random.SystemRandom().randrange(1, 1_000_000))
RECIPIENTS = max(200, int(20_000 * SCALE))
RUNS = max(50, int(2_000 * SCALE))
WINDOW = float(os.environ.get("BENCH_CHAOS_SECONDS") or max(30.0, 120 * SCALE))
RATE = max(10.0, 40 * SCALE)
THROUGHPUT_N = max(1_000, int(10_000 * SCALE))
SETTLE_SECONDS = float(os.environ.get("BENCH_CHAOS_SETTLE", "900"))  # a killed delivery's lease is 2 minutes

SHARED_POSTGRES = os.environ.get("BENCH_CHAOS_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
"""Used only without PostgreSQL's binaries (then the restart is simulated)."""
DATABASE = os.environ.get("BENCH_CHAOS_DATABASE", "chaos")
REDIS_PORTS = (16379, 16380)
SENTINEL_PORTS = (26379, 26380, 26381)
PGBOUNCER_PORT, HAPROXY_PORT = 16432, 18080
MASTER = "chaos"
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

META_SECRET, TWILIO_TOKEN, TELEGRAM_SECRET = "chaos-app-secret", "chaos-auth-token", "chaos-telegram-secret"
ACCOUNT = "AC" + "1" * 32
INBOUND_PNID, BROADCAST_PNID = "106540352242922", "106540352200001"
SECRET_KEY = "chaos-secret-key-0123456789-0123456789"


@dataclass
class Postgres:
    """Where the run's database lives: a server of its own (restarted for real) or the shared one (simulated)."""

    admin: str = SHARED_POSTGRES  # the server's address, without a database
    server: postgres_server.Server | None = None

    @property
    def direct(self) -> str:
        return f"{self.admin}/{DATABASE}"

    @property
    def port(self) -> int:
        return urlsplit(self.admin).port or 5432


PG = Postgres()


def say(text: str) -> None:
    print(text, flush=True)


# --- the fake provider (its own process: `chaos.py provider PORT`) ------------------------------------------

def serve_provider(port: int) -> None:
    calls: dict[str, Counter[str]] = {}
    other: Counter[str] = Counter()
    hooks: dict[str, list[int]] = {}

    async def graph(request: web.Request) -> web.Response:
        body = await request.json()
        pnid = request.match_info["phone_number_id"]
        counter = calls.setdefault(pnid, Counter())
        counter[body.get("to", "")] += 1
        n = sum(counter.values())
        return web.json_response({"messaging_product": "whatsapp", "contacts": [{"input": body.get("to")}],
                                  "messages": [{"id": f"wamid.P{pnid[-4:]}x{n}"}]})

    async def twilio(request: web.Request) -> web.Response:
        await request.post()
        other["twilio"] += 1
        return web.json_response({"sid": f"SMOUT{other['twilio']:027d}", "status": "queued"}, status=201)

    async def telegram(request: web.Request) -> web.Response:
        await request.read()
        other["telegram:" + request.match_info["method"]] += 1
        return web.json_response({"ok": True, "result": {"message_id": other["telegram:sendMessage"] + 10**6,
                                                         "date": int(time.time()),
                                                         "chat": {"id": 1, "type": "private"}}})

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        message_id = request.headers.get("webhook-id", "")
        seen = hooks.setdefault(message_id, [])
        status = 503 if not seen and int(hashlib.sha1(message_id.encode()).hexdigest(), 16) % 10 == 0 else 200
        seen.append(status)
        return web.Response(status=status, text="ok" if status == 200 else "busy")

    async def counts(_request: web.Request) -> web.Response:
        return web.json_response({"calls": calls, "other": other, "hooks": hooks})

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post("/{version}/{phone_number_id}/messages", graph)
    app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", twilio)
    app.router.add_post("/bot{token}/{method}", telegram)
    app.router.add_post("/hook", hook)
    app.router.add_get("/counts", counts)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# --- processes ---------------------------------------------------------------------------------------------

class Proc:
    """A process this run started (and may kill and start again): never anything else."""

    def __init__(self, name: str, args: list[str], log: Path, env: dict[str, str] | None = None,
                 before: Callable[[], None] | None = None) -> None:
        self.name, self.args, self.log, self.env, self.before = name, args, log, env, before
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        if self.before:
            self.before()
        self.process = subprocess.Popen(self.args, env=self.env, cwd=ROOT, stdout=self.log.open("ab"),
                                        stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.process.pid if self.process else 0

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self, timeout: float = 20) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a previous run's TIME_WAIT is no owner
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@dataclass
class Cluster:
    work: Path
    procs: list[Proc] = field(default_factory=list)
    apis: list[Proc] = field(default_factory=list)
    workers: list[Proc] = field(default_factory=list)
    sweepers: list[Proc] = field(default_factory=list)
    redis_servers: list[Proc] = field(default_factory=list)
    pgbouncer: Proc | None = None
    provider_url: str = ""
    api_ports: list[int] = field(default_factory=list)

    def own(self, proc: Proc) -> Proc:
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            proc.stop(10)


def start_redis(cluster: Cluster) -> None:
    master, replica = REDIS_PORTS
    common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(cluster.work)]
    cluster.redis_servers.append(cluster.own(Proc("redis-master", [REDIS_SERVER, "--port", str(master), *common],
                                                  cluster.work / "redis-16379.log")))
    wait_port(master)
    cluster.redis_servers.append(cluster.own(Proc("redis-replica", [
        REDIS_SERVER, "--port", str(replica), "--replicaof", "127.0.0.1", str(master), *common],
        cluster.work / "redis-16380.log")))
    wait_port(replica)
    for port in SENTINEL_PORTS:
        config = cluster.work / f"sentinel-{port}.conf"  # Sentinel rewrites its own file
        config.write_text(f"port {port}\nbind 127.0.0.1\ndir {cluster.work}\n"
                          f"sentinel monitor {MASTER} 127.0.0.1 {master} 2\n"
                          f"sentinel down-after-milliseconds {MASTER} 2000\n"
                          f"sentinel failover-timeout {MASTER} 10000\n"
                          f"sentinel parallel-syncs {MASTER} 1\n")
        cluster.own(Proc(f"sentinel-{port}", [REDIS_SERVER, str(config), "--sentinel"],
                         cluster.work / f"sentinel-{port}.log"))
    for port in SENTINEL_PORTS:
        wait_port(port)
    deadline = time.monotonic() + 30
    replica_client = redis.Redis(port=replica)
    while replica_client.info("replication").get("master_link_status") != "up":
        if time.monotonic() > deadline:
            raise RuntimeError("the Redis replica did not sync")
        time.sleep(0.1)


def redis_master_port() -> int:
    for port in SENTINEL_PORTS:
        try:
            answer: Any = redis.Redis(port=port, socket_timeout=1).sentinel_get_master_addr_by_name(MASTER)
            return int(answer[1])
        except (redis.RedisError, TypeError):
            continue
    raise RuntimeError("no Sentinel answers")


def start_postgres(work: Path) -> None:
    """A PostgreSQL server of the run's own, which it may restart; the shared one only without the binaries."""
    binaries = postgres_server.find_binaries()
    if binaries is None:
        say(f"  no PostgreSQL binaries (initdb, pg_ctl; BENCH_PG_BIN): the shared server {SHARED_POSTGRES} is used "
            "and its restart only SIMULATED (backends terminated, PgBouncer restarted)")
        return
    PG.server = postgres_server.Server(binaries, work / "postgres", free_port())
    PG.server.init()
    PG.server.start()
    PG.admin = PG.server.url
    say(f"  PostgreSQL of this run's own: {binaries}, 127.0.0.1:{PG.server.port}, data in {PG.server.data}")


def create_database() -> None:
    with psycopg.connect(f"{PG.admin}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')


def start_pgbouncer(cluster: Cluster) -> None:
    folder = cluster.work / "pgbouncer"
    folder.mkdir()
    folder.chmod(0o777)  # it runs as postgres when this runs as root
    ini = folder / "pgbouncer.ini"
    ini.write_text(f"""[databases]
{DATABASE} = host=127.0.0.1 port={PG.port} dbname={DATABASE} user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {PGBOUNCER_PORT}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = 24
max_client_conn = 1000
server_login_retry = 1
logfile = {folder}/pgbouncer.log
pidfile = {folder}/pgbouncer.pid
""")

    def clear_pidfile() -> None:
        (folder / "pgbouncer.pid").unlink(missing_ok=True)

    command = [PGBOUNCER, *(["-u", "postgres"] if os.geteuid() == 0 else []), str(ini)]
    cluster.pgbouncer = cluster.own(Proc("pgbouncer", command, folder / "stdout.log", before=clear_pidfile))
    wait_port(PGBOUNCER_PORT)


def start_haproxy(cluster: Cluster) -> None:
    config = cluster.work / "haproxy.cfg"
    servers = "\n".join(f"  server api{i} 127.0.0.1:{port} check" for i, port in enumerate(cluster.api_ports))
    config.write_text(f"""global
  maxconn 2000
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 2
  option redispatch
frontend hub
  bind 127.0.0.1:{HAPROXY_PORT}
  default_backend api
backend api
  balance roundrobin
  option httpchk GET /healthz
  default-server inter 500ms fall 2 rise 2
{servers}
""")
    cluster.own(Proc("haproxy", [HAPROXY, "-db", "-f", str(config)], cluster.work / "haproxy.log"))
    wait_port(HAPROXY_PORT)


def hub_env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{PGBOUNCER_PORT}/{DATABASE}",
               HUB_DATABASE_POOLED="true", HUB_REDIS_URL="redis://sentinel-decides:6379/0",
               HUB_REDIS_SENTINELS=",".join(f"127.0.0.1:{port}" for port in SENTINEL_PORTS),
               HUB_REDIS_SENTINEL_MASTER=MASTER, HUB_PUBLIC_URL=f"http://127.0.0.1:{HAPROXY_PORT}",
               HUB_ENV="development", HUB_SECRET_KEY=SECRET_KEY, HUB_VAR_DIR=str(work / "var"), HUB_LOG_LEVEL="WARNING",
               HUB_ALLOW_PRIVATE_URLS="true", PYTHONPATH=str(ROOT))
    return env


def hub(cluster: Cluster, name: str, args: list[str]) -> Proc:
    return cluster.own(Proc(name, [sys.executable, "-m", "hub.cli", *args], cluster.work / f"{name}.log",
                            env=hub_env(cluster.work)))


def registered_pids() -> set[int]:
    from rq import Worker

    from hub.runtime import broker

    try:
        return {int(w.pid or 0) for w in Worker.all(connection=broker.connection())}
    except (redis.RedisError, OSError):
        return set()


def wait_workers(procs: list[Proc], timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while not {p.pid for p in procs} <= registered_pids():
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers did not register in {timeout:.0f} s (logs in {procs[0].log.parent})")
        time.sleep(0.2)


# --- data ------------------------------------------------------------------------------------------------

def configure_here() -> None:
    """This process's own Hub settings (setup and checks): PostgreSQL directly, Redis through the Sentinels."""
    os.environ.update({k: v for k, v in hub_env(Path(tempfile.gettempdir())).items() if k.startswith("HUB_")})
    os.environ.update(HUB_DATABASE_URL="postgresql+psycopg://" + PG.direct.split("://", 1)[1], HUB_DATABASE_POOLED="")
    os.environ.pop("HUB_DATABASE_POOLED")
    from hub.runtime import broker, db
    from hub.runtime.settings import get_settings

    get_settings.cache_clear()
    db.reset_engines()
    broker.reset()


def sql(query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(PG.direct) as conn:
        return conn.execute(query, params).fetchall()


def one(query: str) -> int:
    return int(sql(query)[0][0] or 0)


def setup(provider_url: str) -> dict[str, int]:
    """Channels (every api_base at the fake), the outgoing webhook endpoint, the broadcast's contacts."""
    from hub import schema
    from hub.channel_records import service as channels
    from hub.runtime import db
    from hub.webhooks_out import service as webhooks_out
    from hub.webhooks_out.events import EventType

    with db.get_engine().connect() as conn:
        schema.upgrade(connection=conn)
        conn.commit()
    with db.session_scope() as session:
        ids = {
            "broadcast": channels.create(session=session, kind="whatsapp_meta", name="chaos broadcast", config={
                "phone_number_id": BROADCAST_PNID, "access_token": "x", "app_secret": META_SECRET,
                "verify_token": "v", "api_base": provider_url}, marketing_consent_required=False).id,
            "meta": channels.create(session=session, kind="whatsapp_meta", name="chaos meta", config={
                "phone_number_id": INBOUND_PNID, "access_token": "x", "app_secret": META_SECRET,
                "verify_token": "v", "api_base": provider_url}).id,
            "twilio": channels.create(session=session, kind="sms_twilio", name="chaos sms", config={
                "account_sid": ACCOUNT, "auth_token": TWILIO_TOKEN, "from_number": "+15550001111",
                "api_base": provider_url}).id,
            "telegram": channels.create(session=session, kind="telegram", name="chaos bot", config={
                "bot_token": "1:x", "secret_token": TELEGRAM_SECRET, "api_base": provider_url}).id,
        }
        webhooks_out.create(session=session, actor_id=None, url=provider_url + "/hook",
                            event_types=[EventType.message_received], description="chaos receiver")
    reserve = RECIPIENTS + RUNS + 3 * THROUGHPUT_N
    contacts(1, RECIPIENTS)
    sql_exec(f"SELECT setval('contact_id_seq', {reserve + 1})")
    db.reset_engines()
    return {k: int(v or 0) for k, v in ids.items()}


def sql_exec(query: str, params: tuple[Any, ...] = ()) -> None:
    with psycopg.connect(PG.direct) as conn:
        conn.execute(query, params)


def phone(i: int) -> str:
    return f"+8526{i:07d}"


def contacts(first: int, count: int) -> None:
    ids = range(first, first + count)
    with psycopg.connect(PG.direct) as conn, conn.cursor() as cursor:
        with cursor.copy("COPY contact (id, name, custom_fields, timezone, created_at, updated_at) FROM STDIN") as copy:
            for i in ids:
                copy.write_row((i, f"客人 {i}", "{}", "Asia/Hong_Kong", "2026-01-01 00:00:00+00",
                                "2026-01-01 00:00:00+00"))
        with cursor.copy("COPY channel_identity (contact_id, kind, value, phone, verified, created_at) "
                         "FROM STDIN") as copy:
            for i in ids:
                copy.write_row((i, "whatsapp", phone(i), phone(i), False, "2026-01-01 00:00:00+00"))


def campaign(channel_id: int, first: int, count: int, throttle: float, status: str = "running") -> int:
    template = json.dumps({"name": "spring_sale", "language": "en", "params": ["{{ contact.first_name }}"]})
    with psycopg.connect(PG.direct) as conn, conn.cursor() as cursor:
        cursor.execute(
            "INSERT INTO campaign (name, status, channel_mode, channel_ids, variants, template, defaults, local_time, "
            "quiet_start, quiet_end, throttle_per_second, attribution_hours, created_at, launched_at) VALUES "
            "(%s, %s, 'fixed', %s, '[]', %s, '{}', false, NULL, NULL, %s, 72, now(), now()) RETURNING id",
            (f"chaos {first}", status, json.dumps([channel_id]), template, throttle))
        campaign_id = int(cursor.fetchone()[0])  # type: ignore[index]
        with cursor.copy("COPY campaign_recipient (campaign_id, contact_id, channel_id, variant, state, due_at, "
                         "attempts) FROM STDIN") as copy:
            for i in range(first, first + count):
                copy.write_row((campaign_id, i, channel_id, "A", "pending", "2026-01-01 00:00:00+00", 0))
        cursor.execute("ANALYZE")
    return campaign_id


WAITING = {
    "trigger": {"type": "api", "config": {}}, "start": "w",
    "nodes": [{"id": "w", "type": "wait", "config": {"minutes": 1}}, {"id": "e", "type": "end", "config": {}}],
    "edges": [{"from": "w", "port": "next", "to": "e"}],
}


def journeys(first: int, count: int, start: datetime, spread: float) -> int:
    """`count` runs waiting on one step, due evenly over `spread` seconds from `start`."""
    from bench.flows import enter, published

    flow_id = published("Chaos", WAITING)
    enter(flow_id, first, count, "w", lambda i: start + timedelta(seconds=spread * i / count), {"step": {"held": True}})
    return flow_id


# --- the webhook stream ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hook:
    kind: str
    key: str  # the provider message id Hub stores
    path: str
    body: bytes
    headers: dict[str, str]


def meta_hook(channel_id: int, n: int) -> Hook:
    wa_id = f"8529{n % 2000:07d}"
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {
            "display_phone_number": "15550783881", "phone_number_id": INBOUND_PNID},
            "contacts": [{"profile": {"name": f"客戶 {n % 2000}"}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": f"wamid.C{n}", "timestamp": str(1763830000 + n), "type": "text",
                          "text": {"body": f"你好，我想問訂單 #{n} 幾時到？"}}]}}]}]}, ensure_ascii=False).encode()
    signature = "sha256=" + hmac.new(META_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return Hook("meta", f"wamid.C{n}", f"/webhooks/meta/{channel_id}", body,
                {"Content-Type": "application/json", "X-Hub-Signature-256": signature})


def twilio_hook(channel_id: int, public_url: str, n: int) -> Hook:
    from twilio.request_validator import RequestValidator

    path = f"/webhooks/twilio/{channel_id}/inbound"
    sid = f"SM{n:032d}"
    params = {"ToCountry": "US", "SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid, "SmsStatus": "received",
              "Body": f"Hi, is order {n} shipped?", "To": "+15550001111", "NumSegments": "1", "MessageSid": sid,
              "AccountSid": ACCOUNT, "From": f"+1415{n % 2000:07d}", "ApiVersion": "2010-04-01"}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(public_url + path, params)
    return Hook("twilio", sid, path, urlencode(params).encode(),
                {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})


def telegram_hook(channel_id: int, n: int) -> Hook:
    user = 700000000 + n % 2000
    body = json.dumps({"update_id": n, "message": {
        "message_id": n, "date": 1763830000, "text": f"注文番号{n}の配送状況を教えてください",
        "from": {"id": user, "is_bot": False, "first_name": "太郎", "language_code": "ja"},
        "chat": {"id": user, "type": "private", "first_name": "太郎"}}}, ensure_ascii=False).encode()
    return Hook("telegram", f"{user}:{n}", f"/webhooks/telegram/{channel_id}", body,
                {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})


@dataclass
class Stream:
    sent: int = 0
    repeats: int = 0
    acknowledged: set[str] = field(default_factory=set)
    refused: Counter[int] = field(default_factory=Counter)  # answers other than 2xx (then retried)
    dropped: int = 0  # never acknowledged after every retry
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)


async def stream(ids: dict[str, int], rate: float, seconds: float, rng: random.Random, out: Stream) -> None:
    base = f"http://127.0.0.1:{HAPROXY_PORT}"
    made: list[Hook] = []
    limit = asyncio.Semaphore(64)
    tasks: list[asyncio.Task[None]] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64),
                                     timeout=aiohttp.ClientTimeout(total=15)) as session:
        async def send(hook: Hook) -> None:
            for attempt in range(10):
                async with limit:  # a connection, not held through the back-off below
                    started = time.perf_counter()
                    try:
                        async with session.post(base + hook.path, data=hook.body, headers=hook.headers) as answer:
                            await answer.read()
                            status = answer.status
                    except (aiohttp.ClientError, TimeoutError):
                        status = 0
                out.statuses[status] += 1
                if 200 <= status < 300:
                    out.latencies.append(time.perf_counter() - started)
                    out.acknowledged.add(hook.key)
                    return
                out.refused[status] += 1
                await asyncio.sleep(min(8.0, 0.5 * 2 ** attempt))
            out.dropped += 1

        started = time.monotonic()
        n = 0
        while (elapsed := time.monotonic() - started) < seconds:
            while n < elapsed * rate:
                if made and rng.random() < 0.05:  # a provider's redelivery of something already sent
                    hook = rng.choice(made)
                    out.repeats += 1
                else:
                    pick = n % 10
                    if pick < 4:
                        hook = meta_hook(ids["meta"], n)
                    elif pick < 7:
                        hook = twilio_hook(ids["twilio"], base, n)
                    else:
                        hook = telegram_hook(ids["telegram"], n)
                    made.append(hook)
                tasks.append(asyncio.create_task(send(hook)))
                out.sent += 1
                n += 1
            await asyncio.sleep(0.01)
        await asyncio.gather(*tasks)


# --- the failures ----------------------------------------------------------------------------------------

def restart_later(proc: Proc, seconds: float) -> None:
    threading.Timer(seconds, proc.start).start()


def kill_one(procs: list[Proc], rng: random.Random, what: str) -> str:
    proc = rng.choice(procs)
    proc.kill()
    restart_later(proc, 2.0)
    return f"SIGKILL {what} {proc.name} (pid {proc.pid}), started again 2 s later"


def fail_redis(cluster: Cluster) -> str:
    port = redis_master_port()
    victim = next(p for p in cluster.redis_servers if p.args[p.args.index("--port") + 1] == str(port))
    victim.kill()
    deadline = time.monotonic() + 60
    while (now_master := redis_master_port()) == port:
        if time.monotonic() > deadline:
            raise RuntimeError("the Sentinels did not fail over in 60 s")
        time.sleep(0.2)
    took = 60 - (deadline - time.monotonic())
    # back as a replica of the new master (the Sentinels would also reconfigure it: say so at once)
    if "--replicaof" not in victim.args:
        victim.args += ["--replicaof", "127.0.0.1", str(now_master)]
    else:
        index = victim.args.index("--replicaof")
        victim.args[index + 2] = str(now_master)
    victim.start()
    return (f"SIGKILL Redis master :{port}; Sentinels promoted :{now_master} after {took:.1f} s; old master back "
            "as a replica")


def restart_postgres(cluster: Cluster) -> str:
    """Restart the run's PostgreSQL as after a crash (WAL recovery on start), PgBouncer left running in front."""
    if PG.server is None:
        return simulate_postgres_restart(cluster)
    began = time.monotonic()
    down, recovered = PG.server.crash_restart()
    deadline = time.monotonic() + 60
    while True:  # PgBouncer waits server_login_retry (1 s) after a refused login before it tries again
        try:
            with psycopg.connect(f"postgresql://postgres@127.0.0.1:{PGBOUNCER_PORT}/{DATABASE}",
                                 connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    through = time.monotonic() - began
    recovery = "crash recovery from the WAL on start" if recovered else "NO crash recovery in its log"
    return (f"PostgreSQL restarted (pg_ctl restart -m immediate, {recovery}): no connections for {down:.1f} s, "
            f"{through:.1f} s through PgBouncer (left running)")


def simulate_postgres_restart(cluster: Cluster) -> str:
    """Without PostgreSQL's binaries the shared server stays up: end the database's backends, restart PgBouncer."""
    assert cluster.pgbouncer is not None
    with psycopg.connect(f"{PG.admin}/postgres", autocommit=True) as conn:
        ended = conn.execute("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE datname = %s AND pid <> pg_backend_pid()", (DATABASE,)).fetchone()
    cluster.pgbouncer.kill()
    time.sleep(2.0)
    cluster.pgbouncer.start()
    wait_port(PGBOUNCER_PORT)
    return (f"simulated PostgreSQL restart: {ended[0] if ended else 0} backends of `{DATABASE}` terminated, "
            "PgBouncer SIGKILLed and started again 2 s later")


# --- the checks -------------------------------------------------------------------------------------------

def idle(campaign_id: int, flow_id: int) -> dict[str, int]:
    return {
        "campaign not done": one(f"SELECT count(*) FROM campaign WHERE id = {campaign_id} AND status <> 'done'"),
        "events unprocessed": one("SELECT count(*) FROM webhook_event WHERE processed_at IS NULL"),
        "runs not completed": one(f"SELECT count(*) FROM flow_run WHERE flow_id = {flow_id} "
                                  "AND status <> 'completed'"),
        "deliveries pending": one("SELECT count(*) FROM webhook_delivery WHERE status = 'pending'"),
    }


def provider_counts(cluster: Cluster) -> dict[str, Any]:
    return dict(httpx.get(cluster.provider_url + "/counts", timeout=30).json())


def check(cluster: Cluster, out: Stream, campaign_id: int, flow_id: int) -> list[str]:
    """Print the counts; return the violated invariants."""
    bad: list[str] = []
    counts = provider_counts(cluster)

    # 1. acknowledged webhooks are messages
    stored = {row[0] for row in sql("SELECT provider_message_id FROM message WHERE direction = 'inbound'")}
    missing = out.acknowledged - stored
    failed_events = one("SELECT count(*) FROM webhook_event WHERE error IS NOT NULL")
    say(f"  webhooks: {out.sent} posted ({out.repeats} repeats among them), "
        f"{len(out.acknowledged)} distinct acknowledged, {sum(out.refused.values())} answers refused and retried "
        f"{dict(out.refused)}, {out.dropped} never acknowledged; inbound messages stored {len(stored)}, "
        f"acknowledged but missing {len(missing)}, failed events {failed_events}")
    if missing:
        bad.append(f"{len(missing)} acknowledged webhooks are not messages (e.g. {sorted(missing)[:3]})")
    if failed_events:
        bad.append(f"{failed_events} stored webhook events failed")

    # 2. one provider call per recipient
    calls = {number.lstrip("+"): n for number, n in counts["calls"].get(BROADCAST_PNID, {}).items()}
    rows = sql("SELECT r.state, r.reason, i.phone FROM campaign_recipient r JOIN channel_identity i "
               f"ON i.contact_id = r.contact_id WHERE r.campaign_id = {campaign_id}")
    states = Counter(row[0] for row in rows)
    numbers = {row[2].lstrip("+") for row in rows}
    twice = {p: c for p, c in calls.items() if c > 1 and p in numbers}
    not_called = [row for row in rows if row[0] == "sent" and calls.get(row[2].lstrip("+"), 0) != 1]
    unknown_bad = [row for row in rows if row[0] == "unknown" and (not row[1] or calls.get(row[2].lstrip("+"), 0) > 1)]
    unsettled = [row for row in rows if row[0] not in ("sent", "unknown")]
    ours = sum(c for p, c in calls.items() if p in numbers)
    say(f"  broadcast: {RECIPIENTS} recipients {dict(states)}; provider calls {ours} to "
        f"{len(numbers & set(calls))} numbers; called twice {len(twice)}; sent without exactly one call "
        f"{len(not_called)}; unknown "
        f"{states.get('unknown', 0)} (with a reason and at most one call: "
        f"{states.get('unknown', 0) - len(unknown_bad)}); other calls at the fake {counts['other']}")
    if twice:
        bad.append(f"{len(twice)} recipients got more than one provider call (e.g. {list(twice.items())[:3]})")
    if not_called or unknown_bad or unsettled:
        bad.append(f"recipients: {len(not_called)} sent without one call, {len(unknown_bad)} unknown without a "
                   f"reason or called twice, {len(unsettled)} neither sent nor unknown")

    # 3. every due journey step once
    passed = Counter(row[0] for row in sql(f"SELECT run_id FROM flow_event WHERE flow_id = {flow_id} "
                                           "AND kind = 'passed'"))
    runs = one(f"SELECT count(*) FROM flow_run WHERE flow_id = {flow_id}")
    completed = one(f"SELECT count(*) FROM flow_run WHERE flow_id = {flow_id} AND status = 'completed'")
    again = sum(1 for c in passed.values() if c > 1)
    say(f"  journeys: {runs} runs, {completed} completed, steps run {sum(passed.values())}, runs whose step ran "
        f"more than once {again}, never {runs - len(passed)}")
    if completed != runs or again or len(passed) != runs:
        bad.append(f"journeys: {runs - completed} not completed, {again} steps twice, {runs - len(passed)} never")

    # 4. outgoing webhooks: one delivery per message, no duplicate within a retry series
    hooks: dict[str, list[int]] = counts["hooks"]
    deliveries = sql("SELECT d.message_id, d.status, d.attempts, "
                     "count(a.id) FILTER (WHERE a.status_code IS NULL AND a.error IS NULL) "
                     "FROM webhook_delivery d LEFT JOIN webhook_attempt a ON a.delivery_id = d.id "
                     "GROUP BY d.id, d.message_id, d.status, d.attempts")
    over = [d for d in deliveries if len(hooks.get(d[0], [])) > d[2]]
    double = [d for d in deliveries if hooks.get(d[0], []).count(200) > 1 and d[3] == 0]
    undelivered = [d for d in deliveries if d[1] != "delivered"]
    redelivered = sum(1 for d in deliveries if hooks.get(d[0], []).count(200) > 1)
    retried = sum(1 for d in deliveries if d[2] > 1)
    say(f"  outgoing webhooks: {len(deliveries)} deliveries for {len(stored)} inbound messages, "
        f"{len(deliveries) - len(undelivered)} delivered, {retried} after a retry, posts received "
        f"{sum(len(v) for v in hooks.values())}; posted more often than slots claimed {len(over)}; delivered twice "
        f"{redelivered} (after an interrupted attempt: {redelivered - len(double)})")
    if over or double:
        bad.append(f"outgoing webhooks: {len(over)} posted beyond their claimed slots, {len(double)} delivered twice "
                   "without an interrupted attempt")
    if undelivered or len(deliveries) != len(stored):
        bad.append(f"outgoing webhooks: {len(undelivered)} not delivered, {len(deliveries)} deliveries for "
                   f"{len(stored)} messages")
    return bad


# --- throughput with 1, 2, 4 workers -------------------------------------------------------------------------

def throughput(cluster: Cluster, channel_id: int) -> None:
    from flows.campaigns import jobs

    first = RECIPIENTS + RUNS + 1
    for k in (1, 2, 4):
        contacts(first, THROUGHPUT_N)
        # paused until the clock starts: the workers' campaign sweep would otherwise send it while they start
        campaign_id = campaign(channel_id, first, THROUGHPUT_N, 100_000, status="paused")
        procs = [hub(cluster, f"tp{k}-worker{i}", ["worker"]) for i in range(k)]
        wait_workers(procs)
        load = os.getloadavg()[0]
        started = time.perf_counter()
        sql_exec(f"UPDATE campaign SET status = 'running' WHERE id = {campaign_id}")
        jobs.kick(campaign_id)
        while one(f"SELECT count(*) FROM campaign_recipient WHERE campaign_id = {campaign_id} "
                  "AND state IN ('pending', 'sending')"):
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        sent = one(f"SELECT count(*) FROM campaign_recipient WHERE campaign_id = {campaign_id} AND state = 'sent'")
        say(f"  {k} worker{'s' if k > 1 else ' '}: {sent} of {THROUGHPUT_N} sent in {seconds:.1f} s = "
            f"{sent / seconds:.0f} messages/s (load average at start {load:.1f})")
        for proc in procs:
            proc.stop()
        first += THROUGHPUT_N


# --- the run -------------------------------------------------------------------------------------------------

def main() -> int:
    rng = random.Random(SEED)
    for port in (*REDIS_PORTS, *SENTINEL_PORTS, PGBOUNCER_PORT, HAPROXY_PORT):
        if not port_free(port):
            say(f"port {port} is taken: another chaos run? (stop it first)")
            return 2
    work = Path(tempfile.mkdtemp(prefix="hub-chaos-"))
    work.chmod(0o755)
    cluster = Cluster(work)
    say(f"chaos run: seed {SEED}, scale {SCALE:g}: {RECIPIENTS} recipients, {RUNS} journey runs, webhooks at "
        f"{RATE:g}/s for a {WINDOW:.0f} s window; logs in {work}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        provider_port = free_port()
        cluster.provider_url = f"http://127.0.0.1:{provider_port}"
        cluster.own(Proc("provider", [sys.executable, __file__, "provider", str(provider_port)],
                         work / "provider.log"))
        start_redis(cluster)
        start_postgres(work)
        create_database()
        start_pgbouncer(cluster)
        configure_here()
        wait_port(provider_port)
        seeded = time.perf_counter()
        ids = setup(cluster.provider_url)
        from hub.runtime import broker
        from hub.runtime.db import utcnow
        from hub.tagging.jobs import NIGHTLY_RETRAIN

        broker.connection().set(NIGHTLY_RETRAIN.key(utcnow()), 1, ex=86400)  # not in the middle of the run
        say(f"  set up in {time.perf_counter() - seeded:.1f} s: database `{DATABASE}` through PgBouncer :"
            f"{PGBOUNCER_PORT}, Redis master :{redis_master_port()} + replica + 3 Sentinels")

        cluster.api_ports = [free_port(), free_port()]
        cluster.apis = [hub(cluster, f"api{i}", ["serve", "--port", str(port)])
                        for i, port in enumerate(cluster.api_ports)]
        cluster.workers = [hub(cluster, f"worker-io{i}", ["worker", "--queues", "inbound", "outbound"])
                           for i in range(2)]
        cluster.workers += [hub(cluster, f"worker-bg{i}", ["worker", "--queues", *BACKGROUND]) for i in range(2)]
        cluster.sweepers = [hub(cluster, f"sweeper{i}", ["worker", "--queues", "maintenance"]) for i in range(2)]
        for port in cluster.api_ports:
            wait_http(f"http://127.0.0.1:{port}/healthz", timeout=900)
        start_haproxy(cluster)
        wait_workers(cluster.workers + cluster.sweepers)
        say("  2 API processes behind HAProxy :18080, 4 workers (2 x inbound+outbound, 2 x background), 2 sweepers up")

        begin = utcnow()
        flow_id = journeys(RECIPIENTS + 1, RUNS, begin + timedelta(seconds=WINDOW * 0.1), WINDOW * 0.8)
        throttle = max(1.0, RECIPIENTS / (WINDOW * 0.6))
        campaign_id = campaign(ids["broadcast"], 1, RECIPIENTS, throttle)
        from flows.campaigns import jobs

        out = Stream()
        streamer = threading.Thread(target=lambda: asyncio.run(stream(ids, RATE, WINDOW, rng, out)), daemon=True)
        started = time.monotonic()
        jobs.kick(campaign_id)
        streamer.start()
        say(f"  window open: broadcast throttled to {throttle:.0f}/s, journey steps due from {WINDOW * 0.1:.0f} s "
            f"to {WINDOW * 0.9:.0f} s")
        failures: list[tuple[str, Callable[[], str]]] = [
            ("worker", lambda: kill_one(cluster.workers, rng, "worker")),
            ("sweeper", lambda: kill_one(cluster.sweepers, rng, "sweeper")),
            ("api", lambda: kill_one(cluster.apis, rng, "API process")),
            ("redis", lambda: fail_redis(cluster)),
            ("postgres", lambda: restart_postgres(cluster)),
        ]
        rng.shuffle(failures)
        slots = sorted(rng.uniform(0.1, 0.8) * WINDOW for _ in failures)
        for at, (_, action) in zip(slots, failures, strict=True):
            time.sleep(max(0.0, at - (time.monotonic() - started)))
            say(f"  t={time.monotonic() - started:5.1f} s  {action()}")
        streamer.join()
        say(f"  window closed at t={time.monotonic() - started:.1f} s; waiting for Hub to settle")
        deadline = time.monotonic() + SETTLE_SECONDS
        while any((left := idle(campaign_id, flow_id)).values()):
            if time.monotonic() > deadline:
                say(f"  NOT settled after {SETTLE_SECONDS:.0f} s: {left}")
                break
            time.sleep(1)
        say(f"  settled at t={time.monotonic() - started:.1f} s (load average {os.getloadavg()[0]:.1f}); counts:")
        lat = sorted(out.latencies)
        if lat:
            say(f"  webhook acknowledgement p50 {lat[len(lat) // 2] * 1000:.0f} ms, "
                f"p99 {lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000:.0f} ms (through HAProxy)")
        bad = check(cluster, out, campaign_id, flow_id)
        for proc in cluster.apis + cluster.workers + cluster.sweepers:
            proc.stop()
        say(f"throughput of a broadcast of {THROUGHPUT_N} (throttle off, no failures, `hub worker` on every queue):")
        throughput(cluster, ids["broadcast"])
        if bad:
            say("INVARIANTS VIOLATED:")
            for line in bad:
                say(f"  - {line}")
            return 1
        say(f"all invariants held (seed {SEED})")
        return 0
    finally:
        try:
            cluster.stop_all()
        finally:
            if PG.server:
                PG.server.stop()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "provider":
        asyncio.set_event_loop(asyncio.new_event_loop())
        serve_provider(int(sys.argv[2]))
    else:
        sys.exit(main())
