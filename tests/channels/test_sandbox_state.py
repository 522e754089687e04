"""SandboxState: bounded, thread safe, statuses never backwards; chaos receipts really are chaotic."""

from __future__ import annotations

import threading
from typing import Any

from channels.sandbox import SandboxState
from channels.sandbox.receipts import receipt_order

STAGES = ("sent", "delivered", "read")


def out(state: SandboxState, channel_id: int, message_id: str, **fields: Any) -> None:
    state.record(channel_id, direction="out", provider="meta", customer="+85291234567",
                 provider_message_id=message_id, kind="text", **fields)


def test_each_channel_keeps_only_its_last_messages() -> None:
    state = SandboxState(max_messages=3)
    for number in range(5):
        out(state, 1, f"m{number}")

    assert [record.provider_message_id for record in state.messages(1)] == ["m2", "m3", "m4"]
    assert [record.seq for record in state.messages(1)] == [3, 4, 5]


def test_the_least_recently_used_channel_is_forgotten_first() -> None:
    state = SandboxState(max_channels=2)
    out(state, 1, "a")
    out(state, 2, "b")
    out(state, 1, "c")
    out(state, 3, "d")

    assert state.messages(2) == []
    assert [record.provider_message_id for record in state.messages(1)] == ["a", "c"]


def test_a_status_never_moves_backwards_and_each_change_is_a_new_revision() -> None:
    state = SandboxState()
    out(state, 1, "m")
    revision = state.revision(1)

    state.advance_status(1, "m", "read")
    state.advance_status(1, "m", "delivered")

    [record] = state.messages(1, after=revision)
    assert record.status == "read" and record.rev == revision + 1


def test_failures_are_used_up_in_order() -> None:
    state = SandboxState()
    state.fail_next(7, status=429, retry_after=2, times=2)
    state.fail_next(7, permanent=True)

    taken = [state.take_failure(7) for _ in range(4)]

    assert [(f.status, f.retry_after) for f in taken[:2] if f] == [(429, 2), (429, 2)]
    assert taken[2] is not None and taken[2].permanent and taken[2].status is None
    assert taken[3] is None


def test_receipt_order_follows_the_mode() -> None:
    state = SandboxState(seed=1)

    state.receipts = "off"
    assert receipt_order(state, STAGES) == []
    state.receipts = "normal"
    assert receipt_order(state, STAGES) == list(STAGES)
    state.receipts = "chaos"
    for _ in range(20):
        order = receipt_order(state, STAGES)
        ranks = [STAGES.index(status) for status in order]
        assert len(order) == 6 and set(order) == set(STAGES) and ranks != sorted(ranks)


def test_records_from_many_threads_get_distinct_positions() -> None:
    state = SandboxState(max_messages=10_000)

    def write(worker: int) -> None:
        for number in range(200):
            out(state, 1, f"{worker}-{number}")
            state.next_message_id(1, 42)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    records = state.messages(1)
    assert len(records) == 1600 and len({record.seq for record in records}) == 1600
    assert state.next_message_id(1, 42) == 1601
