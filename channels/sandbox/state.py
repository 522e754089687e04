"""Everything the sandbox remembers, in memory: one `SandboxState` per process.

The state is shared by the API process's event loop and by tests running in other threads, so
every read and write holds one lock, and records are frozen (a change replaces the record).
It is bounded: the last `max_messages` records per channel and at most `max_channels` channels,
the least recently used channel being forgotten first.

With several API processes each has its own state: a customer phone page shows what the
process that serves it saw. That is fine for development, which is all the sandbox is for.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from channels.sandbox.webhooks import Webhook
from channels.types import ChannelConfig

Provider = Literal["meta", "twilio", "telegram"]
ReceiptMode = Literal["off", "normal", "chaos"]
Direction = Literal["out", "in"]
"""`out`: the shop sent it to the customer (through a provider API); `in`: the customer sent it."""

STATUS_RANK: dict[str, int] = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3}


@dataclass(frozen=True)
class ButtonView:
    """A button as the customer's phone shows it. `kind`: reply, list, url or callback."""

    title: str
    id: str | None = None
    url: str | None = None
    kind: str = "reply"
    description: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "id": self.id, "url": self.url, "kind": self.kind,
                "description": self.description}


@dataclass(frozen=True)
class MediaView:
    """An attachment: a link, or an uploaded file (no URL)."""

    type: str
    url: str | None = None
    name: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "url": self.url, "name": self.name}


@dataclass(frozen=True)
class Record:
    """One message the sandbox saw, with the provider's wire format it travelled in (`wire`)."""

    seq: int
    rev: int
    direction: Direction
    provider: Provider
    customer: str
    provider_message_id: str
    kind: str
    text: str | None = None
    header: str | None = None
    footer: str | None = None
    media: tuple[MediaView, ...] = ()
    buttons: tuple[ButtonView, ...] = ()
    list_label: str | None = None
    status: str = "accepted"
    at: float = field(default_factory=time.time)
    wire: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """What the customer phone page reads (without `wire` and `extra`)."""
        return {
            "seq": self.seq, "rev": self.rev, "direction": self.direction, "customer": self.customer,
            "provider_message_id": self.provider_message_id, "kind": self.kind, "text": self.text,
            "header": self.header, "footer": self.footer, "list_label": self.list_label,
            "media": [item.to_json() for item in self.media],
            "buttons": [button.to_json() for button in self.buttons],
            "status": self.status, "at": self.at,
        }


@dataclass(frozen=True)
class Failure:
    """An error the next API call of a channel gets instead of being accepted.

    `status` None with `permanent` means the provider's usual permanent refusal
    (Meta 400/131047, Twilio 400/21211, Telegram 403 blocked).
    """

    status: int | None
    code: int | None = None
    retry_after: float | None = None
    permanent: bool = False


@dataclass
class _ChannelLog:
    records: deque[Record]
    rev: int = 0
    seq: int = 0
    update_id: int = 0
    chat_message_ids: dict[int, int] = field(default_factory=dict)
    failures: deque[Failure] = field(default_factory=deque)
    hangs: deque[float] = field(default_factory=deque)
    webhook: tuple[str, str | None] | None = None
    config: ChannelConfig | None = None


class SandboxState:
    """The sandbox's memory: channels registered by tests, message logs, injected failures, receipts.

    Attributes:
        receipts: "normal" (each stage once, in order), "chaos" (stages repeated and out of
            order) or "off" (no receipts at all).
        receipt_delay: seconds before each receipt stage.
        random: the random source of ids and chaos; seed it for repeatable tests.
    """

    def __init__(self, *, max_messages: int = 500, max_channels: int = 1000, receipts: ReceiptMode = "normal",
                 receipt_delay: float = 0.5, seed: int | None = None) -> None:
        self.max_messages = max_messages
        self.max_channels = max_channels
        self.receipts: ReceiptMode = receipts
        self.receipt_delay = receipt_delay
        self.random = random.Random(seed)
        self._lock = threading.Lock()
        self._logs: OrderedDict[int, _ChannelLog] = OrderedDict()
        self._registered: dict[int, ChannelConfig] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # channels -------------------------------------------------------------------------------

    def add_channel(self, channel: ChannelConfig) -> None:
        """Serve `channel` with the credentials in its config (or the sandbox's when it has none).

        Its receipts and customer messages go to `channel.public_url`, signed with its secrets.
        """
        with self._lock:
            self._registered[channel.id] = channel

    def registered(self) -> list[ChannelConfig]:
        """Every channel added with `add_channel`."""
        with self._lock:
            return list(self._registered.values())

    def registered_channel(self, channel_id: int) -> ChannelConfig | None:
        with self._lock:
            return self._registered.get(channel_id)

    def remember(self, channel: ChannelConfig) -> None:
        """Keep the config a request was served as, so the phone page knows the channel later."""
        with self._lock:
            self._log(channel.id).config = channel

    def remembered(self, channel_id: int) -> ChannelConfig | None:
        with self._lock:
            log = self._logs.get(channel_id)
            return log.config if log else None

    # failures -------------------------------------------------------------------------------

    def fail_next(self, channel_id: int, status: int = 429, *, retry_after: float | None = None,
                  code: int | None = None, permanent: bool = False, times: int = 1) -> None:
        """Answer the channel's next `times` API calls with the provider's error for `status`.

        `permanent=True` picks the provider's usual permanent refusal unless `status`/`code`
        are given explicitly: Meta 400 with 131047, Twilio 400 with 21211, Telegram 403 blocked.
        """
        failure = Failure(status=None if permanent and status == 429 else status, code=code,
                          retry_after=retry_after, permanent=permanent)
        with self._lock:
            self._log(channel_id).failures.extend([failure] * times)

    def take_failure(self, channel_id: int) -> Failure | None:
        with self._lock:
            log = self._logs.get(channel_id)
            return log.failures.popleft() if log and log.failures else None

    def hang_next(self, channel_id: int, seconds: float, *, times: int = 1) -> None:
        """Take the channel's next `times` messages (recorded, receipts and all) but answer each only after
        `seconds`: the provider has the message, the caller's timeout says nothing."""
        with self._lock:
            self._log(channel_id).hangs.extend([seconds] * times)

    def take_hang(self, channel_id: int) -> float:
        """The seconds to hold this answer back (0: answer at once)."""
        with self._lock:
            log = self._logs.get(channel_id)
            return log.hangs.popleft() if log and log.hangs else 0.0

    # records --------------------------------------------------------------------------------

    def record(self, channel_id: int, **fields: Any) -> Record:
        """Append a record (fields as in `Record`, without seq and rev) and return it."""
        with self._lock:
            log = self._log(channel_id)
            log.seq += 1
            log.rev += 1
            record = Record(seq=log.seq, rev=log.rev, **fields)
            log.records.append(record)
            return record

    def update(self, channel_id: int, provider_message_id: str, **changes: Any) -> Record | None:
        """Replace fields of the newest record with that id; None when it is gone."""
        with self._lock:
            log = self._logs.get(channel_id)
            if log is None:
                return None
            for index in range(len(log.records) - 1, -1, -1):
                if log.records[index].provider_message_id == provider_message_id:
                    log.rev += 1
                    updated = replace(log.records[index], rev=log.rev, **changes)
                    log.records[index] = updated
                    return updated
        return None

    def advance_status(self, channel_id: int, provider_message_id: str, status: str) -> None:
        """Move an outbound record's status forward (never backwards, like Hub's own rule)."""
        current = self.find(channel_id, provider_message_id)
        if current is None:
            return
        if status == "failed" or STATUS_RANK.get(status, -1) > STATUS_RANK.get(current.status, -1):
            self.update(channel_id, provider_message_id, status=status)

    def find(self, channel_id: int, provider_message_id: str) -> Record | None:
        with self._lock:
            log = self._logs.get(channel_id)
            records = list(log.records) if log else []
        return next((item for item in reversed(records) if item.provider_message_id == provider_message_id), None)

    def messages(self, channel_id: int, *, after: int = 0, customer: str | None = None,
                 direction: Direction | None = None) -> list[Record]:
        """Records changed since revision `after`, oldest first, optionally for one customer."""
        with self._lock:
            log = self._logs.get(channel_id)
            records = list(log.records) if log else []
        return [
            item for item in records
            if item.rev > after
            and (customer is None or item.customer == customer)
            and (direction is None or item.direction == direction)
        ]

    def revision(self, channel_id: int) -> int:
        with self._lock:
            log = self._logs.get(channel_id)
            return log.rev if log else 0

    # Telegram counters ----------------------------------------------------------------------

    def next_message_id(self, channel_id: int, chat_id: int) -> int:
        """Telegram message ids increase per chat, shared by both directions."""
        with self._lock:
            ids = self._log(channel_id).chat_message_ids
            ids[chat_id] = ids.get(chat_id, 0) + 1
            return ids[chat_id]

    def next_update_id(self, channel_id: int) -> int:
        with self._lock:
            log = self._log(channel_id)
            if log.update_id == 0:
                log.update_id = 100_000_000 + self.random.randrange(1_000_000)
            log.update_id += 1
            return log.update_id

    def set_webhook(self, channel_id: int, url: str, secret_token: str | None) -> None:
        """What a bot set with `setWebhook`: customer updates go there, with that secret."""
        with self._lock:
            self._log(channel_id).webhook = (url, secret_token) if url else None

    def webhook(self, channel_id: int) -> tuple[str, str | None] | None:
        with self._lock:
            log = self._logs.get(channel_id)
            return log.webhook if log else None

    # receipts tasks -------------------------------------------------------------------------

    def track(self, task: asyncio.Task[None]) -> None:
        """Keep a receipt task alive until it is done (the event loop holds only weak references)."""
        with self._lock:
            self._tasks.add(task)
        task.add_done_callback(self._forget_task)

    def _forget_task(self, task: asyncio.Task[None]) -> None:
        with self._lock:
            self._tasks.discard(task)

    def pending_receipts(self) -> int:
        with self._lock:
            return sum(1 for task in self._tasks if not task.done())

    async def close(self) -> None:
        """Cancel the receipts still waiting (call it when the app shuts down)."""
        with self._lock:
            tasks = [task for task in self._tasks if not task.done()]
        loop = asyncio.get_running_loop()
        mine = [task for task in tasks if task.get_loop() is loop]
        for task in mine:
            task.cancel()
        await asyncio.gather(*mine, return_exceptions=True)

    def reset(self) -> None:
        """Forget every channel, record and failure (receipt settings stay)."""
        with self._lock:
            self._logs.clear()
            self._registered.clear()

    def _log(self, channel_id: int) -> _ChannelLog:
        """The channel's log, created on first use; the caller holds the lock."""
        log = self._logs.get(channel_id)
        if log is None:
            log = _ChannelLog(records=deque(maxlen=self.max_messages))
            self._logs[channel_id] = log
            while len(self._logs) > self.max_channels:
                self._logs.popitem(last=False)
        else:
            self._logs.move_to_end(channel_id)
        return log


@dataclass(frozen=True)
class CustomerInput:
    """What the person on the customer phone did: wrote `text`, or tapped `button` of `reply_to`."""

    customer: str
    name: str
    text: str | None = None
    button: ButtonView | None = None
    reply_to: Record | None = None


@dataclass(frozen=True)
class Inbound:
    """A customer's message as the provider's signed webhook, and what to record of it."""

    webhook: Webhook
    provider_message_id: str
    kind: str
    wire: Any


async def hold_back(seconds: float) -> None:
    """A provider that took the message and answers late (`SandboxState.hang_next`)."""
    if seconds > 0:
        await asyncio.sleep(seconds)
