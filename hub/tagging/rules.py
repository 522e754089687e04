"""Tag rules as values: what a rule may say, checking it, and compiling every rule into one matcher.

Pure: nothing here reads the database or the clock (`evaluate` is given `now`). A rule holds when all
of its conditions hold (or any, with `match: "any"`):

- `keywords`: any of the words or phrases occurs in the message (inside CJK sentences too, width and
  case folded, see `hub.tagging.match`);
- `pattern`: a regular expression occurs (case-insensitive, width folded, with a timeout);
- `channel`: the message came on one of these channels (`ids`) or kinds of channel (`kinds`);
- `hours`: the message came `inside` or `outside` business hours;
- `custom_field`: a custom field of the contact `equals` or `contains` a value;
- `contact_tag`: the contact `has` or `lacks` a tag;
- `locale`: the contact's locale is one of these (`zh` also matches `zh-HK` and `zh_Hant`).

Compiling folds every keyword of every rule into one `KeywordIndex`; a rule that needs keywords is
only looked at when one of its keywords occurs, so a message costs one pass over its text plus the
rules without keywords, however many rules there are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from channels import ADAPTERS
from hub.assignment import hours
from hub.tagging.match import Engine, KeywordIndex, Pattern, PatternError, compile_pattern, fold_width, normalize

Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class _Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Keywords(_Condition):
    type: Literal["keywords"]
    values: list[Word] = Field(min_length=1, max_length=200, examples=[["退款", "返金", "refund"]],
                               description="any of these words or phrases, found inside sentences")


class PatternCondition(_Condition):
    type: Literal["pattern"]
    value: str = Field(min_length=1, max_length=5000, examples=[r"(order|注文|訂單)\s*#?\d{4,}"],
                       description="a regular expression (at most 500 characters), case-insensitive")


class ChannelCondition(_Condition):
    type: Literal["channel"]
    ids: list[int] = Field(default_factory=list, description="channel ids")
    kinds: list[str] = Field(default_factory=list, examples=[["whatsapp_meta", "sms_twilio"]])


class HoursCondition(_Condition):
    type: Literal["hours"]
    when: Literal["inside", "outside"] = Field(description="business hours of the channel's teams, else the shop's")


class CustomFieldCondition(_Condition):
    type: Literal["custom_field"]
    field: Word
    op: Literal["equals", "contains"] = "equals"
    value: str | int | float | bool


class ContactTagCondition(_Condition):
    type: Literal["contact_tag"]
    op: Literal["has", "lacks"] = "has"
    tag: Word


class LocaleCondition(_Condition):
    type: Literal["locale"]
    values: list[Word] = Field(min_length=1, max_length=50, examples=[["ja", "zh-HK"]])


Condition = Annotated[
    Keywords | PatternCondition | ChannelCondition | HoursCondition | CustomFieldCondition | ContactTagCondition
    | LocaleCondition,
    Field(discriminator="type"),
]


class TagAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["tag_conversation", "tag_contact"] = "tag_conversation"
    tag: Word


class RuleSpec(BaseModel):
    """A rule as admins write it and as it is stored."""

    model_config = ConfigDict(extra="forbid")

    name: Word
    enabled: bool = True
    match: Literal["all", "any"] = "all"
    conditions: list[Condition] = Field(min_length=1, max_length=50)
    actions: list[TagAction] = Field(min_length=1, max_length=10)


class RuleError(ValueError):
    """A rule that cannot be saved; the message says which part is wrong and why."""


def check(spec: RuleSpec) -> None:
    """Raise RuleError when a condition is well-formed JSON but still unusable (a bad pattern, an unknown kind)."""
    for condition in spec.conditions:
        if isinstance(condition, PatternCondition):
            try:
                compile_pattern(condition.value)
            except PatternError as error:
                raise RuleError(str(error)) from None
        elif isinstance(condition, ChannelCondition):
            if not condition.ids and not condition.kinds:
                raise RuleError("channel: give channel ids, kinds, or both")
            unknown = sorted(set(condition.kinds) - set(ADAPTERS))
            if unknown:
                raise RuleError(f"channel: unknown kind {unknown[0]!r}; kinds are {', '.join(sorted(ADAPTERS))}")


def parse(stored: Mapping[str, Any]) -> RuleSpec:
    """A stored rule (name, enabled, match, conditions, actions) as a checked RuleSpec."""
    try:
        spec = RuleSpec.model_validate(dict(stored))
    except ValidationError as error:
        first = error.errors()[0]
        raise RuleError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    check(spec)
    return spec


@dataclass(frozen=True)
class Schedule:
    """Opening hours: an IANA zone and a weekly schedule (see `hub.assignment.hours`; None: always open)."""

    timezone: str = "UTC"
    weekly: Mapping[str, Sequence[Sequence[str]]] | None = None

    def is_open(self, now: datetime) -> bool:
        return hours.is_open(self.timezone, self.weekly, now)


@dataclass(frozen=True)
class Facts:
    """What rules may look at: one inbound message, where it came from and who sent it."""

    text: str
    channel_id: int
    channel_kind: str
    locale: str | None = None
    custom_fields: Mapping[str, Any] = field(default_factory=dict)
    contact_tags: frozenset[str] = frozenset()
    team_hours: tuple[Schedule, ...] = ()
    """Hours of the teams that answer the message's channel and set any; empty: the shop's hours count."""


@dataclass(frozen=True)
class Hit:
    """A rule that held, and the tags it asks for."""

    rule_id: int
    rule_name: str
    actions: tuple[TagAction, ...]


class _Context:
    """One evaluation: the folded text, keyword hits, and answers worked out at most once."""

    __slots__ = ("facts", "now", "shop", "folded", "hits", "_open", "_tags", "_locale")

    def __init__(self, facts: Facts, now: datetime, shop: Schedule | None, hits: set[int]) -> None:
        self.facts, self.now, self.shop, self.hits = facts, now, shop, hits
        self.folded: str | None = None
        self._open: bool | None = None
        self._tags: frozenset[str] | None = None
        self._locale: str | None = None

    def text(self) -> str:
        if self.folded is None:
            self.folded = fold_width(self.facts.text)
        return self.folded

    def open_now(self) -> bool:
        if self._open is None:
            schedules = self.facts.team_hours or ((self.shop,) if self.shop is not None else ())
            self._open = not schedules or any(schedule.is_open(self.now) for schedule in schedules)
        return self._open

    def tags(self) -> frozenset[str]:
        if self._tags is None:
            self._tags = frozenset(normalize(tag) for tag in self.facts.contact_tags)
        return self._tags

    def locale(self) -> str:
        if self._locale is None:
            self._locale = (self.facts.locale or "").replace("_", "-").casefold()
        return self._locale


Check = Callable[[_Context], bool]


def _field_check(condition: CustomFieldCondition) -> Check:
    wanted, name, contains = normalize(str(condition.value)), condition.field, condition.op == "contains"

    def holds(context: _Context) -> bool:
        value = context.facts.custom_fields.get(name)
        if value is None:
            return False
        if isinstance(value, list | tuple | set):
            return any(normalize(str(item)) == wanted for item in value)
        text = normalize(str(value).lower() if isinstance(value, bool) else str(value))
        return wanted in text if contains else text == wanted

    return holds


def _locale_check(condition: LocaleCondition) -> Check:
    wanted = tuple(value.replace("_", "-").casefold() for value in condition.values)
    return lambda context: any(context.locale() == w or context.locale().startswith(w + "-") for w in wanted)


def _keyword_check(group: int) -> Check:
    return lambda context: group in context.hits


def _pattern_check(pattern: Pattern) -> Check:
    return lambda context: pattern.search(context.text())


def _channel_check(condition: ChannelCondition) -> Check:
    ids, kinds = frozenset(condition.ids), frozenset(condition.kinds)
    return lambda context: context.facts.channel_id in ids or context.facts.channel_kind in kinds


def _tag_check(condition: ContactTagCondition) -> Check:
    tag, has = normalize(condition.tag), condition.op == "has"
    return lambda context: (tag in context.tags()) == has


def _hours_check(condition: HoursCondition) -> Check:
    inside = condition.when == "inside"
    return lambda context: context.open_now() == inside


@dataclass(frozen=True)
class CompiledRule:
    hit: Hit
    any_of: bool
    checks: tuple[Check, ...]
    gate: int | None
    """A keyword group that must occur for an all-of rule to hold: the rule is only looked at when it does."""

    def holds(self, context: _Context) -> bool:
        if self.any_of:
            return any(check(context) for check in self.checks)
        for check in self.checks:  # noqa: SIM110 - a plain loop: no generator per rule on the hot path
            if not check(context):
                return False
        return True


class RuleSet:
    """Every enabled rule compiled once; `evaluate` runs them on one message without any I/O."""

    def __init__(self, rules: Sequence[tuple[int, RuleSpec]], shop_hours: Schedule | None = None,
                 engine: Engine = "auto") -> None:
        self.shop_hours = shop_hours
        groups: dict[int, list[str]] = {}
        compiled: list[CompiledRule] = []
        for rule_id, spec in rules:
            if spec.enabled:
                compiled.append(self._compile(rule_id, spec, groups))
        self.keywords = KeywordIndex(groups, engine=engine)
        self._always = tuple(rule for rule in compiled if rule.gate is None)
        self._gated: dict[int, list[CompiledRule]] = {}
        for rule in compiled:
            if rule.gate is not None:
                self._gated.setdefault(rule.gate, []).append(rule)
        self.size = len(compiled)
        kinds = {type(c) for _, spec in rules if spec.enabled for c in spec.conditions}
        self.needs_hours = HoursCondition in kinds
        self.needs_contact = bool(kinds & {CustomFieldCondition, ContactTagCondition, LocaleCondition})
        self.needs_contact_tags = ContactTagCondition in kinds

    @staticmethod
    def _compile(rule_id: int, spec: RuleSpec, groups: dict[int, list[str]]) -> CompiledRule:
        ranked: list[tuple[int, Check]] = []  # cheap checks first, patterns last
        gate: int | None = None
        for condition in spec.conditions:
            if isinstance(condition, Keywords):
                group = len(groups)
                groups[group] = list(condition.values)
                gate = group if gate is None else gate
                ranked.append((0, _keyword_check(group)))
            elif isinstance(condition, PatternCondition):
                ranked.append((3, _pattern_check(compile_pattern(condition.value))))
            elif isinstance(condition, ChannelCondition):
                ranked.append((0, _channel_check(condition)))
            elif isinstance(condition, HoursCondition):
                ranked.append((2, _hours_check(condition)))
            elif isinstance(condition, CustomFieldCondition):
                ranked.append((1, _field_check(condition)))
            elif isinstance(condition, ContactTagCondition):
                ranked.append((1, _tag_check(condition)))
            else:
                ranked.append((1, _locale_check(condition)))
        any_of = spec.match == "any"
        checks = tuple(check for _, check in sorted(ranked, key=lambda pair: pair[0]))
        return CompiledRule(Hit(rule_id, spec.name, tuple(spec.actions)), any_of, checks, None if any_of else gate)

    def evaluate(self, facts: Facts, now: datetime) -> list[Hit]:
        """The rules that hold for this message at `now` (an aware datetime), in rule id order."""
        hits = self.keywords.find(normalize(facts.text)) if facts.text and len(self.keywords) else set()
        context = _Context(facts, now, self.shop_hours, hits)
        held = [rule.hit for rule in self._always if rule.holds(context)]
        for group in hits:
            held += [rule.hit for rule in self._gated.get(group, ()) if rule.holds(context)]
        return sorted(held, key=lambda hit: hit.rule_id)
