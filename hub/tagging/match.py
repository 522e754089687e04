"""Finding words and patterns in messages as customers write them, in Chinese, Japanese and English.

Pure functions. Text and keywords are folded the same way: NFKC (full-width ＲＥＦＵＮＤ and half-width
ｶﾀｶﾅ become their usual forms), casefold, and runs of white space (an ideographic space too) become
one space. Keywords are found inside sentences without spaces; a keyword that starts with a letter
or digit of a script written with spaces (Latin, Cyrillic, Hangul…) must start a word there, so
"ok" does not match "book" while "refund" still matches "refunded" and "買iPhone".

Every keyword is found in one pass: an Aho–Corasick automaton (pyahocorasick) when it is installed,
otherwise one `str.find` per keyword. Regular expressions are compiled once, limited in length, and
run with a timeout (the `regex` module) or, without it, refused when they nest repetitions.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

try:
    import ahocorasick
except ImportError:  # pragma: no cover - the scan below does the same, more slowly
    ahocorasick = None

try:
    import regex as _engine

    HAS_TIMEOUT = True
except ImportError:  # pragma: no cover - plain re has no timeout: nested repetitions are refused instead
    _engine = re
    HAS_TIMEOUT = False

log = logging.getLogger(__name__)

MAX_PATTERN = 500
"""Longest regular expression a rule may hold, in characters."""
MAX_TEXT = 4000
"""Patterns read at most this much of a message: enough for any chat message, bounded for a paste."""
PATTERN_TIMEOUT = 0.05
"""Seconds one pattern may spend on one message before it counts as not matching."""

_SPACES = re.compile(r"\s+")
_NESTED = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]")
_UNSPACED = (  # scripts written without spaces between words: no word boundary inside them
    (0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x2E80, 0x2FDF), (0x3040, 0x30FF),
    (0x3100, 0x312F), (0x31A0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
    (0xFF66, 0xFF9F), (0x20000, 0x3FFFF),
)

Engine = Literal["auto", "automaton", "scan"]


def fold_width(text: str) -> str:
    """NFKC with white space collapsed: what patterns read (they ignore case themselves)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def normalize(text: str) -> str:
    """NFKC, casefold, white space collapsed: what keywords are compared on."""
    return fold_width(text).casefold()


def starts_words(char: str) -> bool:
    """True for a letter or digit of a script that separates words with spaces."""
    if not char.isalnum():
        return False
    code = ord(char)
    return not any(low <= code <= high for low, high in _UNSPACED)


@dataclass(frozen=True)
class _Entry:
    length: int
    needs_boundary: bool
    groups: frozenset[int]


class KeywordIndex:
    """Which groups of keywords occur in a text, found in one pass however many keywords there are."""

    def __init__(self, groups: Mapping[int, Iterable[str]], engine: Engine = "auto") -> None:
        table: dict[str, set[int]] = {}
        for group, words in groups.items():
            for word in words:
                folded = normalize(word)
                if folded:
                    table.setdefault(folded, set()).add(group)
        self._entries = {word: _Entry(len(word), starts_words(word[0]), frozenset(ids)) for word, ids in table.items()}
        self._automaton: Any = None
        if engine == "automaton" or (engine == "auto" and ahocorasick is not None):
            if ahocorasick is None:
                raise RuntimeError("pyahocorasick is not installed")
            automaton = ahocorasick.Automaton()
            for word, entry in self._entries.items():
                automaton.add_word(word, entry)
            if self._entries:
                automaton.make_automaton()
            self._automaton = automaton

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def engine(self) -> str:
        return "automaton" if self._automaton is not None else "scan"

    def find(self, text: str) -> set[int]:
        """The groups with a keyword in `text`, which must already be `normalize`d."""
        found: set[int] = set()
        if not self._entries or not text:
            return found
        if self._automaton is not None:
            for end, entry in self._automaton.iter(text):
                start = end - entry.length + 1
                if not entry.needs_boundary or start == 0 or not starts_words(text[start - 1]):
                    found |= entry.groups
            return found
        for word, entry in self._entries.items():
            at = text.find(word)
            while at >= 0:
                if not entry.needs_boundary or at == 0 or not starts_words(text[at - 1]):
                    found |= entry.groups
                    break
                at = text.find(word, at + 1)
        return found


class PatternError(ValueError):
    """A regular expression a rule cannot use; the message starts with "pattern:" and says why."""


@dataclass(frozen=True)
class Pattern:
    """A compiled, case-insensitive regular expression that gives up after PATTERN_TIMEOUT."""

    source: str
    compiled: Any

    def search(self, text: str) -> bool:
        """True when the pattern occurs in `text` (read `fold_width`ed, at most MAX_TEXT characters)."""
        try:
            if HAS_TIMEOUT:
                return self.compiled.search(text[:MAX_TEXT], timeout=PATTERN_TIMEOUT) is not None
            return self.compiled.search(text[:MAX_TEXT]) is not None
        except TimeoutError:
            log.warning("tag rule pattern %r timed out on a message; counted as no match", self.source)
            return False


def compile_pattern(source: str) -> Pattern:
    """Compile a rule's pattern once, or raise PatternError with a reason a person can act on."""
    if not source.strip():
        raise PatternError("pattern: is empty")
    if len(source) > MAX_PATTERN:
        raise PatternError(f"pattern: {len(source)} characters is too long; a pattern may have at most {MAX_PATTERN}")
    if not HAS_TIMEOUT and _NESTED.search(source):
        raise PatternError("pattern: a repetition inside a repeated group, like (a+)+, can take forever on some "
                           "messages; rewrite it without the nesting")
    try:
        compiled = _engine.compile(unicodedata.normalize("NFKC", source), _engine.IGNORECASE)
    except (re.error, _engine.error) as error:
        raise PatternError(f"pattern: {source!r} is not a valid regular expression ({error})") from None
    if compiled.search("") is not None:
        raise PatternError(f"pattern: {source!r} matches an empty message, so it would tag every message")
    return Pattern(source, compiled)
