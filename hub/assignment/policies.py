"""The choice each policy makes, as pure functions of plain values (no database, no clock).

Every policy starts from the same pool, as Chatwoot does: agents allowed on the conversation who
are online, inside their team's business hours and below their capacity. The policies differ in
whom they pick from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hub.assignment.models import PolicyKind

_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Candidate:
    """An agent allowed on the conversation, with what the policies weigh."""

    user_id: int
    name: str
    open_count: int
    capacity: int
    online: bool = True
    in_hours: bool = True
    last_assigned_at: datetime | None = None
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()

    @property
    def available(self) -> bool:
        return self.online and self.in_hours and self.open_count < self.capacity


@dataclass(frozen=True)
class Need:
    """What the conversation asks for."""

    language: str | None = None
    tags: frozenset[str] = frozenset()
    previous_assignee_id: int | None = None
    exclude: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Choice:
    """The agent picked (None: the conversation waits) and a sentence saying why."""

    user_id: int | None
    reason: str


LANGUAGE_NAMES = {"ja": "Japanese", "zh": "Chinese", "en": "English"}


def _is_kana(char: str) -> bool:
    code = ord(char)
    return 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9D


def _is_han(char: str) -> bool:
    code = ord(char)
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF
            or 0x20000 <= code <= 0x3134F)


def detect_language(text: str | None) -> str | None:
    """`ja` when the text has kana, `zh` when it has Han characters but no kana, else `en`."""
    if not text or not text.strip():
        return None
    han = False
    for char in text:
        if _is_kana(char):
            return "ja"
        han = han or _is_han(char)
    return "zh" if han else "en"


def language_of(locale: str | None) -> str | None:
    """The language an agent's locale implies: `zh_Hant` → zh, `ja-JP` → ja."""
    if not locale:
        return None
    return locale.replace("-", "_").split("_")[0].lower() or None


def _least_recent(candidate: Candidate) -> tuple[datetime, int]:
    return (candidate.last_assigned_at or _NEVER, candidate.user_id)


def _least_loaded(candidate: Candidate) -> tuple[int, datetime, int]:
    return (candidate.open_count, *_least_recent(candidate))


def _pool(candidates: Iterable[Candidate], need: Need) -> list[Candidate]:
    return [c for c in candidates if c.available and c.user_id not in need.exclude]


def _why_nobody(candidates: Sequence[Candidate], need: Need) -> str:
    others = [c for c in candidates if c.user_id not in need.exclude]
    if not others:
        return "no other agent is allowed on this conversation"
    if not any(c.online for c in others):
        return "no agent allowed on this conversation is online"
    if not any(c.online and c.in_hours for c in others):
        return "the team is outside its business hours"
    return "every online agent is at capacity"


def _load(candidate: Candidate) -> str:
    return f"{candidate.open_count} of {candidate.capacity} open"


def round_robin(candidates: Sequence[Candidate], need: Need) -> Choice:
    """Take turns: the available agent who was assigned least recently."""
    pool = _pool(candidates, need)
    if not pool:
        return Choice(None, _why_nobody(candidates, need))
    chosen = min(pool, key=_least_recent)
    return Choice(chosen.user_id, f"round robin: {chosen.name}'s turn ({_load(chosen)})")


def least_loaded(candidates: Sequence[Candidate], need: Need) -> Choice:
    """Fewest open conversations; ties to whoever was assigned least recently."""
    pool = _pool(candidates, need)
    if not pool:
        return Choice(None, _why_nobody(candidates, need))
    chosen = min(pool, key=_least_loaded)
    return Choice(chosen.user_id, f"least loaded: {chosen.name} had the fewest open conversations "
                                  f"({_load(chosen)})")


def sticky(candidates: Sequence[Candidate], need: Need) -> Choice:
    """A returning customer goes back to the agent who served them last, when that agent can take it."""
    for candidate in _pool(candidates, need):
        if candidate.user_id == need.previous_assignee_id:
            return Choice(candidate.user_id, f"sticky: {candidate.name} served this customer last")
    fallback = least_loaded(candidates, need)
    if fallback.user_id is None or need.previous_assignee_id is None:
        return fallback
    return Choice(fallback.user_id, f"sticky: the agent who served this customer last is not available; "
                                    f"{fallback.reason}")


def _score(candidate: Candidate, need: Need) -> int:
    tags = {tag.casefold() for tag in need.tags}
    skills = {skill.casefold() for skill in candidate.skills}
    return int(need.language is not None and need.language in candidate.languages) + len(tags & skills)


def _wanted(need: Need) -> str:
    parts = [f"reads {LANGUAGE_NAMES.get(need.language, need.language)}"] if need.language else []
    parts += [f"has the skill {tag!r}" for tag in sorted(need.tags)]
    return " or ".join(parts) or "matches"


def skill(candidates: Sequence[Candidate], need: Need) -> Choice:
    """The agents who read the customer's language or have the conversation's tags as skills.

    When someone allowed on the conversation matches but none of them can take it now, the
    conversation waits for them; only when nobody matches at all does it go to anyone available.
    """
    pool = _pool(candidates, need)
    best = max((_score(c, need) for c in pool), default=0)
    if best > 0:
        chosen = min((c for c in pool if _score(c, need) == best), key=_least_loaded)
        return Choice(chosen.user_id, f"skill: {chosen.name} {_wanted(need)} ({_load(chosen)})")
    if any(_score(c, need) > 0 for c in candidates if c.user_id not in need.exclude):
        return Choice(None, f"waiting for an agent who {_wanted(need)}")
    fallback = least_loaded(candidates, need)
    if fallback.user_id is None:
        return fallback
    return Choice(fallback.user_id, f"skill: nobody on the team {_wanted(need)}; {fallback.reason}")


CHOOSERS: dict[str, Callable[[Sequence[Candidate], Need], Choice]] = {
    PolicyKind.round_robin.value: round_robin,
    PolicyKind.least_loaded.value: least_loaded,
    PolicyKind.sticky.value: sticky,
    PolicyKind.skill.value: skill,
}


def choose(kind: str, candidates: Sequence[Candidate], need: Need) -> Choice:
    """The agent the policy `kind` picks from `candidates` for `need`."""
    return CHOOSERS[kind](candidates, need)
