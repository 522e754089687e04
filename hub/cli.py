"""The `hub` command: serve, worker, migrate, rotate-secrets, demo, create-user, run."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

from hub.runtime.settings import SettingsError, get_settings

DEMO_LOGIN = ("admin@hub.local", "hub-demo-password")


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    get_settings()
    uvicorn.run("hub.composition:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level="warning", proxy_headers=False)  # hub.api.proxies trusts HUB_TRUSTED_PROXIES only
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from hub import composition
    from hub.runtime import logs, queues

    logs.configure(get_settings().log_level)
    names = " ".join(args.queues) if args.queues else get_settings().worker_queues
    try:
        chosen = queues.parse(names)
    except ValueError as error:
        print(f"hub worker: {error}", file=sys.stderr)
        return 2
    composition.run_worker(chosen, burst=args.burst)
    return 0


def cmd_migrate(_: argparse.Namespace) -> int:
    from hub import schema

    schema.upgrade()
    print("database is at the latest schema")
    cmd_rotate_secrets(_)  # channels stored before sealing existed (or under an old key) are sealed now
    return 0


def cmd_rotate_secrets(_: argparse.Namespace) -> int:
    from hub.channel_records import service
    from hub.runtime.db import session_scope

    with session_scope() as session:
        count = service.reseal_all(session=session)
    print(f"channel secrets sealed with the current HUB_SECRET_KEY ({count} channels)")
    return 0


def cmd_reports(args: argparse.Namespace) -> int:
    from hub import composition
    from reports.backfill import backfill

    composition.wire()
    done = backfill(say=print)
    print(", ".join(f"{name}: {count}" for name, count in done.items()))
    return 0


def cmd_demo(_: argparse.Namespace) -> int:
    from hub import composition

    if not get_settings().sandbox_allowed:
        print("the demo's channels talk to the provider sandbox: use `hub run`, or set HUB_SANDBOX=true",
              file=sys.stderr)
        return 2
    for line in composition.load_demo():  # every package's, in order
        print(line)
    print(f"demo login: {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from hub.agents import service
    from hub.runtime.db import session_scope

    try:
        with session_scope() as session:
            user = service.create_user(session=session, email=args.email, password=args.password, role=args.role,
                                       name=args.name or "")
            print(f"created {user.role} {user.email} (id {user.id})")
    except service.AccountError as error:
        print(f"hub: {error}", file=sys.stderr)
        return 2
    return 0


def cmd_train_tagger(args: argparse.Namespace) -> int:
    """Train the tag classifier, print precision and recall per tag on a held-out split, save it."""
    from hub.runtime.db import session_scope
    from hub.tagging import train

    try:
        with session_scope() as session:
            examples = train.examples_for(session, include_demo=not args.no_demo)
        tagger, report, path = train.train(examples)
    except train.TrainingError as error:
        print(f"hub: {error}", file=sys.stderr)
        return 2
    print("\n".join(report.lines()))
    print(f"saved tagger {tagger.version} ({len(tagger.labels)} tags, {tagger.examples} examples) to {path}")
    return 0


DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


def cmd_run(args: argparse.Namespace) -> int:
    """Everything on the embedded default, for a laptop: migrate, demo, API, worker; Ctrl-C stops all."""
    from hub.runtime import broker, embedded

    if get_settings().env != "production":  # the only thing that turns the sandbox on: this laptop's own loop
        os.environ.setdefault("HUB_SANDBOX", "true")
        os.environ.setdefault("HUB_ALLOW_PRIVATE_URLS", "true")  # the sandbox and its callbacks are on loopback
        get_settings.cache_clear()
    settings = get_settings()
    cmd_migrate(args)
    cmd_demo(args)
    env = dict(os.environ)
    if settings.public_url == DEFAULT_PUBLIC_URL:  # not set: the sandbox calls back where this Hub listens
        env["HUB_PUBLIC_URL"] = f"http://{args.host}:{args.port}"
    owned: list[subprocess.Popen[bytes]] = []
    if not settings.redis_url:
        url = embedded.running_url(settings.var_dir)
        if url is None:
            url, process = embedded.start(settings.var_dir)
            owned.append(process)
        env["HUB_REDIS_URL"] = url
    hub = [sys.executable, "-m", "hub.cli"]
    owned.append(subprocess.Popen([*hub, "serve", "--host", args.host, "--port", str(args.port)], env=env))
    for _ in range(args.workers):
        owned.append(subprocess.Popen([*hub, "worker"], env=env))
    base = f"http://{args.host}:{args.port}"
    print(f"\nHub is running at {base}/ (API and its docs at {base}/docs); demo login "
          f"{DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}", flush=True)
    for line in sandbox_phones(base):
        print(line, flush=True)
    print(f"Other demo users (same password): agents mei@hub.local, yuki@hub.local, sam@hub.local; "
          f"marketer marketing@hub.local ({base}/campaigns). Admin pages: {base}/admin, {base}/admin/catalog",
          flush=True)
    print("Press Ctrl-C to stop.\n", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        while all(p.poll() is None for p in owned):
            time.sleep(0.5)
        print("a Hub process stopped; stopping the others", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        for process in reversed(owned):  # the API and workers first, the embedded server last
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        broker.stop_owned()
    return 0


def sandbox_phones(base: str) -> list[str]:
    """Where a newcomer can write as a customer on each sandbox channel."""
    from channels.sandbox.accounts import is_sandbox, provider_of
    from hub.channel_records import service
    from hub.runtime.db import session_scope

    lines = []
    with session_scope() as session:
        for channel in service.list_all(session=session):
            config = service.as_config(channel)
            if provider_of(config) is not None and is_sandbox(config):
                lines.append(f"  chat as a customer on {channel.name}: {base}/sandbox/phone/{channel.id}")
            elif not service.adapter_of(channel.kind).endpoints:  # Hub's own web chat: a shop page with the widget
                lines.append(f"  chat as a visitor on {channel.name}: {base}/webchat/{channel.id}/demo")
    return ["Sandbox customer phones:", *lines] if lines else []


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="hub", description="Hub: a conversational commerce messaging hub.")
    sub = top.add_subparsers(dest="command", required=True)

    def add(name: str, func: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(func=func)
        return command

    serve = add("serve", cmd_serve, "run the API and WebSocket server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="API processes")
    worker = add("worker", cmd_worker, "run a job worker with the scheduler")
    worker.add_argument("--queues", nargs="+", metavar="QUEUE",
                        help="queue classes to serve (default: HUB_WORKER_QUEUES, all of them): inbound outbound "
                             "campaigns flows webhooks-out reports maintenance bulk")
    worker.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    add("migrate", cmd_migrate, "upgrade the database to the latest schema (alembic upgrade head)")
    add("rotate-secrets", cmd_rotate_secrets,
        "seal every channel's secrets again with HUB_SECRET_KEY (after a change; old keys in HUB_SECRET_KEY_OLD)")
    add("demo", cmd_demo, "load demo data (safe to run again)")
    user = add("create-user", cmd_create_user, "create a user who can sign in")
    user.add_argument("--email", required=True)
    user.add_argument("--password", required=True)
    user.add_argument("--role", required=True, choices=["admin", "agent", "marketer", "store"])
    user.add_argument("--name")
    tagger = add("train-tagger", cmd_train_tagger, "train the tag classifier on agents' tags and the demo set")
    tagger.add_argument("--no-demo", action="store_true", help="learn from agents' tags only")
    reports = add("reports", cmd_reports, "reports: `hub reports backfill` records every fact the existing "
                  "conversations, messages and orders show, then rebuilds the daily rollups (safe to run again)")
    reports.add_argument("action", choices=["backfill"])
    run = add("run", cmd_run, "migrate, load the demo and start API + worker on the embedded default")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--workers", type=int, default=1)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        get_settings()
        return int(args.func(args))
    except SettingsError as error:
        print(f"hub: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
