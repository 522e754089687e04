"""What a package brings to Hub, declared in one value: the composition root (`hub.composition`) reads
every package's record and wires the API, the worker and the schema from the same list."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter

from hub.runtime import broker, events, queues
from hub.runtime.once import enqueue_once
from hub.runtime.partitions import MonthlyTable


@dataclass(frozen=True)
class Listener:
    """A reaction to a committed event; `batch`: called once per commit with all of that event's instances."""

    event: str
    call: Callable[[Any], None]
    batch: bool = False


@dataclass(frozen=True)
class Periodic:
    """A job queued once per period, by whichever worker's sweeper gets there first.

    `queue`: the class it runs in; only workers serving that queue offer it (or, inline, run it).
    `at` is where in each period it starts: a nightly job at 17:00 UTC is `every=1 day, at=17 hours`.
    `inline`: instead, every worker calls it itself, from a thread of its own, every period: for a short job
    that is safe in N copies and whose lateness matters more than a queue's order (the journeys' due steps,
    each second: queued, it would wait behind the very work it hands out).
    """

    job: Callable[[], object]
    every: timedelta
    queue: str = queues.MAINTENANCE
    at: timedelta = timedelta(0)
    timeout: int = 120
    inline: bool = False

    def period(self, now: datetime) -> int:
        """The number of the period `now` falls in (counted from the epoch, shifted by `at`)."""
        since = now.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC) - self.at
        return int(since // self.every)

    def key(self, now: datetime) -> str:
        return broker.key("periodic", self.job.__module__, self.job.__qualname__, self.period(now))

    def offer(self, now: datetime) -> bool:
        """Queue the job unless it was queued in this period already; True when this call queued it."""
        hold = max(int(self.every.total_seconds()) * 2, 1)
        return enqueue_once(self.queue, self.job, key=self.key(now), hold_seconds=hold, job_timeout=self.timeout,
                            retry=None, meta={"period": self.period(now)})


@dataclass(frozen=True)
class Inbox:
    """Who turns a provider's stored raw events into changes: `wake` gets the ids of events left unprocessed
    for `stale_after` (their job was lost), and queues what processes them again."""

    wake: Callable[[list[int]], object]
    stale_after: timedelta = timedelta(seconds=5)


@dataclass(frozen=True)
class Web:
    """A package's part of the web UI, all in one folder, mounted by hub's web shell.

    - `folder/templates/`: its Jinja templates (found by name, as if beside hub's own);
    - `folder/static/`: its scripts and styles, served under `/static/` beside every other package's (a file
      name belongs to one package only);
    - `styles`: its style sheets under `/static/`; every page links every package's, in the modules' order;
    - `inbox_scripts`: scripts the inbox page loads before its own, to provide the inbox's parts (see
      hub/web/static/js/parts.js); `composer_templates`: its markup in the inbox's composer;
      `composer_actions`: its buttons beside the composer's Send; `help_keys`: its lines (`<dt>`/`<dd>`) in the
      inbox's list of keyboard shortcuts;
    - `strings`: what its scripts show (`t(key)`), marked with `N_` for the shared catalogs.
    """

    folder: Path
    styles: tuple[str, ...] = ()
    inbox_scripts: tuple[str, ...] = ()
    composer_templates: tuple[str, ...] = ()
    composer_actions: tuple[str, ...] = ()
    help_keys: tuple[str, ...] = ()
    strings: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Module:
    """One package's parts. Every field is optional; the composition root iterates them in order.

    - `models`: its table classes (listing them loads them into the metadata Alembic compares);
    - `pages` (HTML) and `routers` (API): mounted on the app, pages first;
    - `web`: the templates, static files and script strings its pages use;
    - `listeners`: subscribed to core events, in the API and the worker alike;
    - `hooks`: called once at start-up to plug into another package's extension point;
    - `periodic`: jobs the worker's sweeper queues;
    - `partitioned`: its tables partitioned by month on PostgreSQL (`hub.runtime.partitions`);
    - `give_back`: per job function, what releases its leases when a stopping worker gives the job back
      unfinished (called with the job's arguments; the job is then not queued again: the database holds the
      work and a sweeper hands it on). A job without an entry goes back to the front of its queue;
    - `inbox`: per provider name, who processes its raw events;
    - `uploads`: paths that take bodies larger than the default limit, with their limit in bytes;
    - `demo`: adds its demo data unless it is there (after the modules before it), and says what it did.
    """

    name: str
    models: tuple[type, ...] = ()
    pages: tuple[APIRouter, ...] = ()
    web: Web | None = None
    routers: tuple[APIRouter, ...] = ()
    listeners: tuple[Listener, ...] = ()
    hooks: tuple[Callable[[], None], ...] = ()
    periodic: tuple[Periodic, ...] = ()
    partitioned: tuple[MonthlyTable, ...] = ()
    give_back: Mapping[Callable[..., Any], Callable[..., object]] = field(default_factory=dict)
    inbox: Mapping[str, Inbox] = field(default_factory=dict)
    uploads: Mapping[str, int] = field(default_factory=dict)
    demo: Callable[[], str | None] | None = None


def connect(module: Module) -> None:
    """Subscribe a module's listeners and run its hooks (both safe to repeat)."""
    for listener in module.listeners:
        if listener.batch:
            events.subscribe_batch(listener.event, listener.call)
        else:
            events.subscribe(listener.event, listener.call)
    for hook in module.hooks:
        hook()
