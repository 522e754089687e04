"""The sweeper hands due runs in chunks, each chunk one transaction: every run of a chunk moves on once; a step
that raises sends its chunk back to one run per transaction, the others still move on, and an HTTP request is
never made inside a chunk, where another run's failure could roll it back and make it again."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import insert
from sqlmodel import col, select

from flows.journeys import jobs, runner, service, steps
from flows.journeys.models import FlowEvent, FlowRun
from hub.contacts.models import Contact
from hub.runtime.db import session_scope
from hub.runtime.settings import get_settings
from tests.flows.journeys_world import Shop, run_jobs
from tests.flows.journeys_world import shop as shop_fixture  # noqa: F401 - the fixture `shop`


def _contacts(shop: Shop, n: int) -> list[int]:
    now = shop.clock()
    with session_scope() as session:
        first = (session.exec(select(Contact.id).order_by(col(Contact.id).desc())).first() or 0) + 1
        session.execute(insert(Contact), [{"id": first + i, "name": f"客人 {i}", "custom_fields": {}, "locale": "ja",
                                           "created_at": now, "updated_at": now} for i in range(n)])
    return [first + i for i in range(n)]


def _flow(name: str, middle: dict[str, Any]) -> int:
    definition = {"trigger": {"type": "api", "config": {}}, "start": "w",
                  "nodes": [{"id": "w", "type": "wait", "config": {"minutes": 10}}, {"id": "m", **middle},
                            {"id": "e", "type": "end", "config": {}}],
                  "edges": [{"from": "w", "port": "next", "to": "m"},
                            *({"from": "m", "port": port, "to": "e"}
                              for port in (("ok", "error") if middle["type"] == "http" else ("next",)))]}
    with session_scope() as session:
        flow = service.create(session=session, name=name, definition=definition)
        service.publish(session=session, flow_id=flow.id or 0)
        return flow.id or 0


def _start(shop: Shop, flow_id: int, people: list[int]) -> None:
    from flows.journeys.models import Flow

    with session_scope() as session:
        flow = session.get(Flow, flow_id)
        assert flow is not None
        for contact_id in people:
            service.start_run(session=session, flow=flow, contact_id=contact_id, now=shop.clock())
    jobs.sweep()
    run_jobs("flows")  # every run reaches its wait


def _handed(shop: Shop) -> list[tuple[int, int]]:
    shop.clock.move(minutes=11)
    with session_scope() as session:
        return jobs.due_runs(session, shop.clock())


def _runs(flow_id: int) -> dict[int, FlowRun]:
    with session_scope() as session:
        return {r.contact_id: r for r in session.exec(select(FlowRun).where(FlowRun.flow_id == flow_id)).all()}


def test_a_chunk_moves_each_run_on_once_and_a_second_delivery_changes_nothing(shop: Shop) -> None:
    flow_id = _flow("Tags", {"type": "tag", "config": {"add": ["常連"]}})
    people = _contacts(shop, 30)
    _start(shop, flow_id, people)
    handles = _handed(shop)
    assert len(handles) == 30

    assert runner.advance_batch(handles) == {"completed": 30}
    assert runner.advance_batch(handles) == {"stale": 30}  # the job delivered again
    runs = _runs(flow_id)
    assert {r.status for r in runs.values()} == {"completed"}
    with session_scope() as session:
        passed = session.exec(select(FlowEvent.node_id).where(FlowEvent.flow_id == flow_id,
                                                               FlowEvent.kind == "passed")).all()
    assert passed.count("m") == 30 and passed.count("w") == 30


def test_a_step_that_raises_leaves_the_rest_of_its_chunk_to_move_on_and_counts_its_error(
        shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    flow_id = _flow("Tags", {"type": "tag", "config": {"add": ["常連"]}})
    people = _contacts(shop, 5)
    _start(shop, flow_id, people)
    tag = steps.KINDS["tag"]

    def breaks_for_the_third(step: runner.Step, config: dict[str, Any]) -> runner.Result:
        if step.run.contact_id == people[2]:
            raise RuntimeError("the tagger is down")
        return tag(step, config)

    monkeypatch.setitem(steps.KINDS, "tag", breaks_for_the_third)
    outcomes = runner.advance_batch(_handed(shop))

    assert outcomes == {"completed": 4, "error": 1}
    runs = _runs(flow_id)
    broken = runs.pop(people[2])
    assert {r.status for r in runs.values()} == {"completed"}
    assert broken.status == "waiting" and broken.node_id == "w" and broken.context.get("errors") == 1  # retried later


class _Receiver(BaseHTTPRequestHandler):
    calls: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        type(self).calls.append(self.headers.get("Idempotency-Key", ""))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(name="receiver")
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("HUB_ALLOW_PRIVATE_URLS", "true")
    get_settings.cache_clear()
    _Receiver.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        get_settings.cache_clear()


def test_an_http_step_is_called_once_even_when_its_chunk_rolls_back(
        shop: Shop, receiver: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calling = _flow("Calls", {"type": "http", "config": {"url": receiver, "method": "POST"}})
    tagging = _flow("Tags", {"type": "tag", "config": {"add": ["常連"]}})
    callers, taggers = _contacts(shop, 3), _contacts(shop, 3)
    _start(shop, calling, callers)
    _start(shop, tagging, taggers)

    def broken(step: runner.Step, config: dict[str, Any]) -> runner.Result:
        raise RuntimeError("the tagger is down")

    monkeypatch.setitem(steps.KINDS, "tag", broken)
    handles = _handed(shop)
    assert len(handles) == 6
    runner.advance_batch(handles)  # the taggers' failure rolls the chunk back

    assert len(_Receiver.calls) == 3 and len(set(_Receiver.calls)) == 3  # one call per run, each its own key
    assert {r.status for r in _runs(calling).values()} == {"completed"}
    assert {r.context.get("errors") for r in _runs(tagging).values()} == {1}


def test_a_chunk_given_back_by_a_stopping_worker_is_handed_again_at_once_and_moves_each_run_once(shop: Shop) -> None:
    """A worker stopping mid-chunk gives it back (flows.module's `give_back`): the runs' leases end now, so the
    next sweep hands them on without waiting out the lease, and each run still takes its step once."""
    flow_id = _flow("Tags", {"type": "tag", "config": {"add": ["常連"]}})
    people = _contacts(shop, 12)
    _start(shop, flow_id, people)
    handles = _handed(shop)
    assert len(handles) == 12
    with session_scope() as session:  # leased: a second sweeper now takes none of them
        assert jobs.due_runs(session, shop.clock()) == []

    assert jobs.give_back(handles[:5]) == 5
    with session_scope() as session:
        again = jobs.due_runs(session, shop.clock())
    assert sorted(again) == sorted(handles[:5])

    assert runner.advance_batch(again) == {"completed": 5}
    assert jobs.give_back(handles[:5]) == 5  # too late: those runs moved on, their new state is kept
    assert runner.advance_batch(handles) == {"completed": 7, "stale": 5}
    assert {r.status for r in _runs(flow_id).values()} == {"completed"}
