"""The knowledge base: questions and answers per language, kept by admins and marketers, and the matcher
that finds the answer to a customer's message.

A match is scored by the tagger's keyword matching (`hub.tagging.match`: NFKC, case-folded, CJK without
word boundaries) over each entry's keywords and its question, and by the trained classifier when one exists
(an entry with a `tag` takes the classifier's probability for that tag). The best entry answers when its
confidence reaches the bot's threshold; otherwise the bot asks again or hands off.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from flows.bots.models import KnowledgeEntry
from flows.bots.texts import LOCALES, canonical
from hub.runtime.db import utcnow
from hub.tagging.match import KeywordIndex, normalize

CSV_COLUMNS = ("id", "locale", "question", "answer", "keywords", "tag", "enabled")
MAX_KEYWORDS = 50


class KnowledgeRefused(ValueError):
    """An entry that cannot be stored; the message says why."""


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class Match:
    entry: KnowledgeEntry
    confidence: float


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "locale" in out and str(out["locale"]) not in LOCALES:
        raise KnowledgeRefused(f"locale must be one of {', '.join(LOCALES)}")
    for key in ("question", "answer"):
        if key in out and not str(out[key] or "").strip():
            raise KnowledgeRefused(f"{key} needs some text")
    if "keywords" in out:
        words = [str(w).strip() for w in out["keywords"] or [] if str(w).strip()]
        if len(words) > MAX_KEYWORDS or any(len(w) > 100 for w in words):
            raise KnowledgeRefused(f"at most {MAX_KEYWORDS} keywords of up to 100 characters")
        out["keywords"] = words
    return out


def listed(*, session: Session, locale: str | None = None) -> list[KnowledgeEntry]:
    query = select(KnowledgeEntry).order_by(col(KnowledgeEntry.locale), col(KnowledgeEntry.id))
    if locale:
        query = query.where(KnowledgeEntry.locale == locale)
    return list(session.exec(query))


def get(*, session: Session, entry_id: int) -> KnowledgeEntry:
    entry = session.get(KnowledgeEntry, entry_id)
    if entry is None:
        raise NotFound("no such knowledge entry")
    return entry


def create(*, session: Session, values: dict[str, Any]) -> KnowledgeEntry:
    entry = KnowledgeEntry(**_clean(values))
    session.add(entry)
    session.flush()
    return entry


def update(*, session: Session, entry_id: int, changes: dict[str, Any]) -> KnowledgeEntry:
    entry = get(session=session, entry_id=entry_id)
    for key, value in _clean(changes).items():
        setattr(entry, key, value)
    entry.updated_at = utcnow()
    session.add(entry)
    session.flush()
    return entry


def delete(*, session: Session, entry_id: int) -> None:
    session.delete(get(session=session, entry_id=entry_id))
    session.flush()


def match(*, session: Session, text: str, locale: str, threshold: float) -> Match | None:
    """The entry that answers `text` in `locale` with at least `threshold` confidence, or None."""
    entries = [e for e in listed(session=session, locale=canonical(locale)) if e.enabled]
    best = ranked(entries, text)
    if best is None or best.confidence < threshold:
        return None
    return best


def ranked(entries: Iterable[KnowledgeEntry], text: str) -> Match | None:
    """The best entry for `text`: the share of its keywords found (at least 0.6 for one), raised by the
    classifier's probability for its tag; a tie with another entry halves it (the bot is not sure)."""
    entries = list(entries)
    if not entries or not text.strip():
        return None
    groups: dict[int, list[str]] = {}
    for index, entry in enumerate(entries):
        for k, keyword in enumerate(dict.fromkeys(normalize(w) for w in [*entry.keywords, entry.question])):
            groups[index * 1000 + k] = [keyword]
    found = KeywordIndex(groups).find(normalize(text))
    hits: dict[int, int] = {}
    for group in found:
        hits[group // 1000] = hits.get(group // 1000, 0) + 1
    scores = {i: min(1.0, 0.4 + 0.2 * n) for i, n in hits.items()}
    for i, probability in _classified(entries, text).items():
        scores[i] = max(scores.get(i, 0.0), probability)
    if not scores:
        return None
    order = sorted(scores.items(), key=lambda item: (-item[1], entries[item[0]].id or 0))
    top, confidence = order[0]
    if len(order) > 1 and order[1][1] == confidence:
        confidence /= 2
    return Match(entries[top], round(confidence, 3))


def _classified(entries: list[KnowledgeEntry], text: str) -> dict[int, float]:
    tagged = {i: e.tag for i, e in enumerate(entries) if e.tag}
    if not tagged:
        return {}
    from hub.tagging import train

    try:
        tagger = train.current()
    except Exception:  # no model on disk, or an unreadable one: keywords alone
        tagger = None
    if tagger is None:
        return {}
    probabilities = tagger.probabilities(text)
    return {i: probabilities[tag] for i, tag in tagged.items() if tag in probabilities}


def export_csv(*, session: Session) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in listed(session=session):
        writer.writerow([e.id, e.locale, e.question, e.answer, "|".join(e.keywords), e.tag or "",
                         "true" if e.enabled else "false"])
    return out.getvalue()


def import_csv(*, session: Session, text: str) -> tuple[int, int]:
    """Rows with an id update that entry, rows without one are added: (added, updated). A bad row refuses
    the whole file, naming its line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or not {"locale", "question", "answer"} <= set(reader.fieldnames):
        raise KnowledgeRefused("the CSV needs the columns locale, question and answer (and optionally id, "
                               "keywords separated by |, tag, enabled)")
    added = updated = 0
    for line, row in enumerate(reader, start=2):
        values: dict[str, Any] = {"locale": (row.get("locale") or "").strip(), "question": row.get("question") or "",
                                  "answer": row.get("answer") or "",
                                  "keywords": [w for w in (row.get("keywords") or "").split("|") if w.strip()],
                                  "tag": (row.get("tag") or "").strip() or None,
                                  "enabled": (row.get("enabled") or "true").strip().lower() not in ("false", "0", "no")}
        try:
            if (row.get("id") or "").strip():
                update(session=session, entry_id=int(str(row["id"]).strip()), changes=values)
                updated += 1
            else:
                create(session=session, values=values)
                added += 1
        except (KnowledgeRefused, NotFound, ValueError) as error:
            raise KnowledgeRefused(f"line {line}: {error}") from None
    return added, updated
