"""A segment's definition, checked whole before anything is compiled.

A definition is JSON: groups `{"all": [...]}`, `{"any": [...]}` and `{"not": {...}}` nest, and the
leaves are conditions on a contact (see `CONDITIONS`). `parse` turns it into frozen nodes or raises
`SegmentError` naming where the problem is (`all[1].orders: ...`) and what would be right.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from catalog.behaviour import CELLS, LIFECYCLE

MAX_DEPTH = 8
MAX_CONDITIONS = 100
MAX_ITEMS = 100
MAX_TEXT = 500
MAX_DAYS = 36_500

CHANNEL_KINDS: dict[str, tuple[str, ...]] = {
    "whatsapp": ("whatsapp", "whatsapp_user"), "sms": ("sms",), "telegram": ("telegram",), "webchat": ("webchat",),
}
FIELD_OPS = ("eq", "ne", "in", "contains", "exists")
CONSENT_STATES = ("opted_in", "not_opted_out")
ORDER_KEYS = ("count_gte", "count_lte", "total_gte", "total_lte", "currency", "last_within_days", "last_before_days")
LAST_INBOUND_KEYS = ("within_days", "not_within_days")
CELL_NAMES = tuple(name.removeprefix(LIFECYCLE) for name in CELLS)

# The key that names a condition, and the other keys it may carry. `channel_id` is last: consent has one too.
CONDITIONS: dict[str, frozenset[str]] = {
    "tag": frozenset(), "tag_in": frozenset(), "has_channel": frozenset(), "field": frozenset({"op", "value"}),
    "consent": frozenset({"channel_id"}), "locale": frozenset(), "last_inbound": frozenset(),
    "orders": frozenset(), "lifecycle": frozenset(), "channel_id": frozenset(),
}
GROUPS = ("all", "any", "not")


class SegmentError(ValueError):
    """A definition that cannot be compiled; the message says where and why, for a person to read."""


@dataclass(frozen=True)
class Group:
    match: Literal["all", "any"]
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class Tagged:
    names: tuple[str, ...]


@dataclass(frozen=True)
class HasChannel:
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class OnChannel:
    channel_id: int


@dataclass(frozen=True)
class FieldIs:
    name: str
    op: str
    values: tuple[str, ...]
    """The wanted values as text (`true`, `42`, `香港`); empty for `exists`."""


@dataclass(frozen=True)
class Consented:
    state: str
    channel_id: int | None


@dataclass(frozen=True)
class LocaleIs:
    prefixes: tuple[str, ...]


@dataclass(frozen=True)
class LastInbound:
    within_days: int | None
    not_within_days: int | None


@dataclass(frozen=True)
class Orders:
    count_gte: int | None = None
    count_lte: int | None = None
    total_gte: int | None = None
    total_lte: int | None = None
    currency: str | None = None
    last_within_days: int | None = None
    last_before_days: int | None = None

    def matches_no_orders(self) -> bool:
        """Whether a contact who never paid for an order meets this condition (count 0, total 0)."""
        return (self.last_within_days is None and self.last_before_days is None
                and (self.count_gte or 0) <= 0 and (self.total_gte or 0) <= 0)


@dataclass(frozen=True)
class Lifecycle:
    cells: tuple[str, ...]
    """Cells without the tag prefix: `new active`, `loyal sleeping`, ..."""


Node = Group | Not | Tagged | HasChannel | OnChannel | FieldIs | Consented | LocaleIs | LastInbound | Orders | Lifecycle


def parse(definition: object) -> Node:
    """The definition as nodes, checked whole; raises `SegmentError` on the first problem found."""
    counter = [0]
    return _node(definition, "definition", 0, counter)


def _node(value: object, where: str, depth: int, counter: list[int]) -> Node:
    if depth > MAX_DEPTH:
        raise SegmentError(f"{where}: groups nest more than {MAX_DEPTH} deep")
    if not isinstance(value, dict) or not value:
        raise SegmentError(f"{where}: expected an object such as {{\"all\": [...]}} or {{\"tag\": \"VIP\"}}")
    group = [key for key in GROUPS if key in value]
    if group:
        if len(value) != 1:
            raise SegmentError(f"{where}: a group has exactly one key (all, any or not), found {_keys(value)}")
        key = group[0]
        if key == "not":
            return Not(_node(value["not"], f"{where}.not", depth + 1, counter))
        items = value[key]
        if not isinstance(items, list):
            raise SegmentError(f"{where}.{key}: expected a list of conditions")
        children = tuple(_node(item, f"{where}.{key}[{i}]", depth + 1, counter) for i, item in enumerate(items))
        return Group("all" if key == "all" else "any", children)
    counter[0] += 1
    if counter[0] > MAX_CONDITIONS:
        raise SegmentError(f"{where}: more than {MAX_CONDITIONS} conditions in one definition")
    return _condition(value, where)


def _keys(value: dict[str, Any]) -> str:
    return ", ".join(repr(key) for key in value)


def _condition(value: dict[str, Any], where: str) -> Node:
    kind = next((key for key in CONDITIONS if key in value), None)
    if kind is None:
        raise SegmentError(f"{where}: unknown key {_keys(value)}; a condition is one of {', '.join(CONDITIONS)}, "
                           "and a group one of all, any, not")
    extra = set(value) - {kind} - CONDITIONS[kind]
    if extra:
        raise SegmentError(f"{where}.{kind}: unknown key {', '.join(repr(k) for k in sorted(extra))}")
    here = f"{where}.{kind}"
    argument = value[kind]
    if kind == "tag":
        return Tagged((_text(argument, here),))
    if kind == "tag_in":
        return Tagged(_texts(argument, here))
    if kind == "has_channel":
        if argument not in CHANNEL_KINDS:
            raise SegmentError(f"{here}: {argument!r} is not one of {', '.join(CHANNEL_KINDS)}")
        return HasChannel(CHANNEL_KINDS[argument])
    if kind == "channel_id":
        return OnChannel(_id(argument, here))
    if kind == "field":
        return _field(value, here)
    if kind == "consent":
        if argument not in CONSENT_STATES:
            raise SegmentError(f"{here}: {argument!r} is not one of {', '.join(CONSENT_STATES)}")
        channel = value.get("channel_id")
        return Consented(argument, None if channel is None else _id(channel, f"{here}.channel_id"))
    if kind == "locale":
        return LocaleIs(tuple(t.lower().replace("-", "_") for t in _texts(argument, here)))
    if kind == "last_inbound":
        days = _days_object(argument, here, LAST_INBOUND_KEYS)
        return LastInbound(days.get("within_days"), days.get("not_within_days"))
    if kind == "orders":
        return _orders(argument, here)
    return _lifecycle(argument, here)


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SegmentError(f"{where}: expected a non-empty text")
    if len(value) > MAX_TEXT:
        raise SegmentError(f"{where}: {len(value)} characters is too long (at most {MAX_TEXT})")
    return value


def _texts(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise SegmentError(f"{where}: expected a non-empty list of texts")
    if len(value) > MAX_ITEMS:
        raise SegmentError(f"{where}: more than {MAX_ITEMS} items")
    return tuple(_text(item, f"{where}[{i}]") for i, item in enumerate(value))


def _whole(value: object, where: str, most: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
        raise SegmentError(f"{where}: expected a whole number from 0 to {most}, got {value!r}")
    return value


def _id(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SegmentError(f"{where}: expected a channel id (a whole number from 1), got {value!r}")
    return value


def _scalar_text(value: object, where: str) -> str:
    """Custom fields are compared as the text of their JSON value: true, 42, 4.5, 香港."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return _text(value, where)


def _field(value: dict[str, Any], where: str) -> FieldIs:
    name = _text(value["field"], where)
    if '"' in name:
        raise SegmentError(f"{where}: a field name cannot contain a double quote")
    op = value.get("op", "eq")
    if op not in FIELD_OPS:
        raise SegmentError(f"{where}: op {op!r} is not one of {', '.join(FIELD_OPS)}")
    if op == "exists":
        if "value" in value:
            raise SegmentError(f"{where}: op 'exists' takes no value (wrap it in \"not\" for a missing field)")
        return FieldIs(name, op, ())
    if "value" not in value:
        raise SegmentError(f"{where}: op {op!r} needs a value")
    wanted = value["value"]
    if op == "in":
        if not isinstance(wanted, list) or not wanted or len(wanted) > MAX_ITEMS:
            raise SegmentError(f"{where}.value: op 'in' needs a list of 1 to {MAX_ITEMS} values")
        return FieldIs(name, op, tuple(_scalar_text(item, f"{where}.value[{i}]") for i, item in enumerate(wanted)))
    if isinstance(wanted, list | dict) or wanted is None:
        raise SegmentError(f"{where}.value: op {op!r} needs one text, number or true/false")
    return FieldIs(name, op, (_scalar_text(wanted, f"{where}.value"),))


def _days_object(value: object, where: str, allowed: tuple[str, ...]) -> dict[str, int]:
    if not isinstance(value, dict) or not value:
        raise SegmentError(f"{where}: expected an object with {' and/or '.join(allowed)}")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise SegmentError(f"{where}: unknown key {', '.join(map(repr, unknown))}; expected {', '.join(allowed)}")
    return {key: _whole(days, f"{where}.{key}", MAX_DAYS) for key, days in value.items()}


def _orders(value: object, where: str) -> Orders:
    if not isinstance(value, dict) or not set(value) - {"currency"}:
        raise SegmentError(f"{where}: expected an object with at least one of "
                           f"{', '.join(k for k in ORDER_KEYS if k != 'currency')}")
    unknown = sorted(set(value) - set(ORDER_KEYS))
    if unknown:
        raise SegmentError(f"{where}: unknown key {', '.join(map(repr, unknown))}; expected {', '.join(ORDER_KEYS)}")
    currency = value.get("currency")
    if currency is not None and (not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha()
                                 or not currency.isupper()):
        raise SegmentError(f"{where}.currency: expected a three-letter code such as HKD, got {currency!r}")
    if currency is None and ("total_gte" in value or "total_lte" in value):
        raise SegmentError(f"{where}: a total needs a currency (totals in different currencies do not add up)")
    numbers = {key: _whole(number, f"{where}.{key}", MAX_DAYS if key.endswith("_days") else 10**15)
               for key, number in value.items() if key != "currency"}
    return Orders(currency=currency, **numbers)


def _lifecycle(value: object, where: str) -> Lifecycle:
    cells = []
    for i, name in enumerate(_texts(value, where)):
        cell = name.removeprefix(LIFECYCLE)
        if cell not in CELL_NAMES:
            raise SegmentError(f"{where}[{i}]: {name!r} is not a lifecycle cell; expected one of "
                               f"{', '.join(CELL_NAMES)}")
        cells.append(cell)
    return Lifecycle(tuple(cells))
