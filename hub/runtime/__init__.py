"""Plumbing below every domain: the raw-event inbox, `enqueue_once`, `upsert`, and the module record that
each package fills in for the composition root. Nothing here imports a domain package."""

from hub.runtime.once import enqueue_once, release
from hub.runtime.record import Inbox, Listener, Module, Periodic, Web, connect
from hub.runtime.upsert import dialect_insert, upsert

__all__ = ["Inbox", "Listener", "Module", "Periodic", "Web", "connect", "dialect_insert", "enqueue_once", "release",
           "upsert"]
