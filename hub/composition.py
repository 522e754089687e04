"""The composition root: the one module that knows every package. It lists their records (`MODULES`) and
builds from that one list the schema, the API, the worker's listeners and periodic jobs, and the demo.
Only this module imports `flows`, `catalog` and `reports` from `hub` (an import-linter contract keeps it so).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import MetaData
from sqlmodel import SQLModel

from catalog.loyalty.module import MODULE as LOYALTY
from catalog.module import MODULE as CATALOG
from catalog.stores.module import MODULE as STORES
from flows.module import MODULE as FLOWS
from hub import search
from hub.api import app
from hub.api_keys.module import MODULE as API_KEYS
from hub.assignment.module import MODULE as ASSIGNMENT
from hub.csat.module import MODULE as CSAT
from hub.jobs import tasks, worker
from hub.module import MODULE as CORE
from hub.privacy.module import MODULE as PRIVACY
from hub.runtime import Inbox, Module, Periodic, broker, connect, events, inbox, partitions
from hub.runtime.settings import get_settings
from hub.tagging.module import MODULE as TAGGING
from hub.webchat.module import MODULE as WEBCHAT
from hub.webhooks_out.module import MODULE as WEBHOOKS_OUT
from reports.module import MODULE as REPORTS

MODULES: tuple[Module, ...] = (CORE, PRIVACY, WEBCHAT, TAGGING, ASSIGNMENT, CSAT, API_KEYS, WEBHOOKS_OUT,
                               CATALOG, STORES, LOYALTY, FLOWS, REPORTS)
"""In order: routes are mounted, listeners called and demo data loaded in this order."""


def target_metadata() -> MetaData:
    """Every package's tables in one metadata (Alembic compares against it; foreign keys resolve). The records
    list their model classes, so importing this module has loaded them all."""
    return SQLModel.metadata


def include_object(dialect: str) -> Any:
    """For alembic's autogenerate on `dialect`: what the models do not describe is not drift (the search index,
    the months of partitioned tables and their key tables)."""
    tables = [table for module in MODULES for table in module.partitioned]
    parted = partitions.include_object(tables, dialect)

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return search.include_object(obj, name, type_, reflected, compare_to) and parted(
            obj, name, type_, reflected, compare_to)

    return include


def inboxes() -> dict[str, Inbox]:
    """Per provider, who processes its raw events."""
    return {provider: consumer for module in MODULES for provider, consumer in module.inbox.items()}


def sweep_inbox() -> int:
    """Job: wake the consumers of raw events whose job was lost; how many events."""
    return inbox.sweep(inboxes())


def periodic() -> tuple[Periodic, ...]:
    """Every package's periodic jobs, and the inbox's sweep."""
    return (Periodic(sweep_inbox, every=timedelta(seconds=10)),
            *(job for module in MODULES for job in module.periodic))


def wire() -> None:
    """Load the schema, subscribe every package's listeners, run their hooks, and publish committed events on
    Redis for the live inbox. The API and the worker both call it; calling it again changes nothing."""
    target_metadata()
    for module in MODULES:
        connect(module)
    events.add_publisher(broker.publish)
    events.wrap_listeners(broker.enqueues_together)


def create_app() -> FastAPI:
    """The API with every package's pages and routes (`hub serve` runs this factory)."""
    wire()
    return app.build(MODULES)


def give_backs() -> dict[Callable[..., Any], Callable[..., object]]:
    """Per job function, what releases its leases when a stopping worker gives it back."""
    return {job: release for module in MODULES for job, release in module.give_back.items()}


def run_worker(queues: tuple[str, ...] = broker.QUEUES, burst: bool = False) -> None:
    """`hub worker`: the RQ worker, whose sweeper offers every package's periodic jobs of these queues."""
    wire()

    def catch_up() -> None:  # whatever a previous worker left, at once
        inbox.sweep(inboxes(), immediately=True)
        tasks.sweep()

    worker.run(queues, burst=burst, periodic=periodic(), catch_up=catch_up, give_backs=give_backs(),
               grace_seconds=get_settings().worker_grace_seconds)


def load_demo() -> list[str]:
    """Every package's demo data, in order; what each said it did."""
    said = [module.demo() for module in MODULES if module.demo is not None]
    return [line for line in said if line]
