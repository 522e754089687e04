"""Delivery receipts a moment after a send, as the providers post them: late, and in chaos mode
repeated and out of order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from channels.sandbox.state import SandboxState
from channels.sandbox.webhooks import Webhook, post

logger = logging.getLogger(__name__)

BuildReceipt = Callable[[str], Webhook]
"""The signed webhook that reports one status (`sent`, `delivered`, `read`) of a message."""


def receipt_order(state: SandboxState, stages: Sequence[str]) -> list[str]:
    """The statuses to post: `stages` in order, or in chaos mode repeated and shuffled."""
    if state.receipts == "off" or not stages:
        return []
    if state.receipts == "normal":
        return list(stages)
    order = list(stages) + [state.random.choice(stages) for _ in range(len(stages))]
    state.random.shuffle(order)
    if len(set(stages)) > 1 and _in_order(order, stages):
        order.reverse()  # chaos must not happen to look orderly
    return order


def schedule_receipts(state: SandboxState, channel_id: int, provider_message_id: str,
                      stages: Sequence[str], build: BuildReceipt) -> None:
    """Post the receipts of one accepted message in the background, `state.receipt_delay` apart."""
    order = receipt_order(state, stages)
    if not order:
        return
    task = asyncio.get_running_loop().create_task(
        _deliver(state, channel_id, provider_message_id, order, build),
        name=f"sandbox-receipts-{channel_id}-{provider_message_id}",
    )
    state.track(task)


async def _deliver(state: SandboxState, channel_id: int, provider_message_id: str, order: list[str],
                   build: BuildReceipt) -> None:
    for status in order:
        await asyncio.sleep(state.receipt_delay)
        try:
            webhook = build(status)
        except Exception:  # a receipt must never take the sandbox down
            logger.exception("sandbox could not build the %s receipt of %s", status, provider_message_id)
            return
        state.advance_status(channel_id, provider_message_id, status)  # the provider's view changes, then it tells
        await post(webhook)


def _in_order(order: list[str], stages: Sequence[str]) -> bool:
    ranks = [stages.index(status) for status in order]
    return ranks == sorted(ranks)
