"""The learned tagger: character n-grams and one logistic regression per tag (one-vs-rest, multi-label).

Character n-grams read Chinese and Japanese without splitting words and survive typos in English;
texts are folded like the rules fold them (NFKC, casefold). It learns from the tags agents applied
(each conversation's inbound texts, labelled with its `agent` tags) plus a shipped demo set in
Traditional Chinese, Japanese and English. `train` reports precision and recall per tag on a
held-out split (stratified, fixed seed), then fits on everything and saves one joblib file whose
version goes into the source of every tag it applies (`model:<version>`).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
from sqlalchemy import select
from sqlmodel import Session, col

from hub.conversations.models import Message
from hub.runtime.settings import get_settings
from hub.tagging.match import normalize
from hub.tags.models import ConversationTag, Tag

DEMO_SET = Path(__file__).with_name("demo_set.csv")
MODEL_FILE = "tagger.joblib"
SEED = 42
TEST_SIZE = 0.25
MAX_DOCUMENT = 2000
"""Characters of a conversation's inbound texts that one training example keeps."""
MIN_EXAMPLES = 10


class TrainingError(ValueError):
    """Not enough labelled examples to learn from; the message says what is missing."""


@dataclass(frozen=True)
class Example:
    text: str
    tags: frozenset[str]
    lang: str = ""


@dataclass(frozen=True)
class TagScore:
    tag: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    """How the tagger did on examples it did not learn from."""

    scores: tuple[TagScore, ...]
    macro_f1: float
    trained_on: int
    tested_on: int

    def lines(self) -> list[str]:
        width = max([len(score.tag) for score in self.scores] + [3])
        rows = [f"{'tag':<{width}}  precision  recall  f1     held-out"]
        rows += [f"{s.tag:<{width}}  {s.precision:9.2f}  {s.recall:6.2f}  {s.f1:5.2f}  {s.support:8d}"
                 for s in self.scores]
        rows.append(f"macro F1 {self.macro_f1:.3f} on {self.tested_on} held-out examples "
                    f"(learned from {self.trained_on})")
        return rows


@dataclass(frozen=True)
class Tagger:
    """A trained model and the tags it knows."""

    version: str
    labels: tuple[str, ...]
    pipeline: Any = field(repr=False)
    examples: int = 0
    _linear: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # One matrix product instead of sklearn's per-estimator checks: 0.5 ms a message instead of 1.7.
        vectorizer, tags = self.pipeline.named_steps["ngrams"], self.pipeline.named_steps["tags"]
        if len(tags.estimators_) == len(self.labels) > 1 and all(hasattr(e, "coef_") for e in tags.estimators_):
            import numpy as np

            weights = np.vstack([estimator.coef_.ravel() for estimator in tags.estimators_]).T
            intercepts = np.array([estimator.intercept_[0] for estimator in tags.estimators_])
            object.__setattr__(self, "_linear", (vectorizer, weights, intercepts))

    def probabilities(self, text: str) -> dict[str, float]:
        """Each tag's probability for one text (one-vs-rest: they need not add up to 1)."""
        if self._linear is None:
            row = self.pipeline.predict_proba([text])[0]
        else:
            import numpy as np

            vectorizer, weights, intercepts = self._linear
            row = 1.0 / (1.0 + np.exp(-((vectorizer.transform([text]) @ weights).ravel() + intercepts)))
        return {label: float(p) for label, p in zip(self.labels, row, strict=True)}


def demo_examples(path: Path = DEMO_SET) -> list[Example]:
    """The shipped labelled set (columns text, tag, lang)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [Example(row["text"], frozenset([row["tag"]]), row["lang"]) for row in csv.DictReader(handle)]


def agent_examples(session: Session) -> list[Example]:
    """One example per conversation agents tagged: its inbound texts, labelled with the agents' tags."""
    tags: dict[int, set[str]] = {}
    for conversation_id, name in session.execute(
            select(col(ConversationTag.conversation_id), col(Tag.name)).join(Tag, col(Tag.id) == ConversationTag.tag_id)
            .where(col(ConversationTag.source) == "agent")):
        tags.setdefault(int(conversation_id), set()).add(str(name))
    texts: dict[int, list[str]] = {}
    ids = sorted(tags)
    for start in range(0, len(ids), 500):
        for conversation_id, text in session.execute(
                select(col(Message.conversation_id), col(Message.text))
                .where(col(Message.conversation_id).in_(ids[start:start + 500]), col(Message.direction) == "inbound",
                       col(Message.text).is_not(None)).order_by(col(Message.id))):
            texts.setdefault(int(conversation_id), []).append(str(text))
    return [Example("\n".join(texts[cid])[:MAX_DOCUMENT], frozenset(tags[cid])) for cid in ids if texts.get(cid)]


def build_pipeline() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline

    return Pipeline([
        ("ngrams", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), preprocessor=normalize,
                                   sublinear_tf=True)),
        ("tags", OneVsRestClassifier(LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced"))),
    ])


def _matrix(examples: Sequence[Example], labels: Sequence[str]) -> Any:
    from sklearn.preprocessing import MultiLabelBinarizer

    return MultiLabelBinarizer(classes=list(labels)).fit_transform([sorted(e.tags) for e in examples])


def _labels(examples: Sequence[Example]) -> tuple[str, ...]:
    labels = tuple(sorted({tag for example in examples for tag in example.tags}))
    if len(examples) < MIN_EXAMPLES or len(labels) < 2:
        raise TrainingError(f"need at least {MIN_EXAMPLES} examples of at least 2 tags; "
                            f"have {len(examples)} examples of {len(labels)} tags")
    return labels


def split(examples: Sequence[Example]) -> tuple[list[Example], list[Example]]:
    """A held-out split, stratified on each example's first tag, always the same for the same examples."""
    from sklearn.model_selection import train_test_split

    keys = [min(example.tags) for example in examples]
    counts = {key: keys.count(key) for key in set(keys)}
    stratify = keys if min(counts.values()) >= 2 else None
    train, test = train_test_split(list(examples), test_size=TEST_SIZE, random_state=SEED, stratify=stratify)
    return list(train), list(test)


def predicted(probabilities: Any) -> Any:
    """Tags a reader would take from the probabilities: the likeliest, and any other above one half."""
    import numpy as np

    chosen = probabilities >= 0.5
    chosen[np.arange(len(probabilities)), probabilities.argmax(axis=1)] = True
    return chosen.astype(int)


def evaluate(examples: Sequence[Example]) -> Report:
    """Learn from one part of the examples and score the rest, tag by tag."""
    from sklearn.metrics import precision_recall_fscore_support

    labels = _labels(examples)
    train, test = split(examples)
    pipeline = build_pipeline().fit([e.text for e in train], _matrix(train, labels))
    guess = predicted(pipeline.predict_proba([e.text for e in test]))
    truth = _matrix(test, labels)
    precision, recall, f1, support = precision_recall_fscore_support(truth, guess, zero_division=0)
    scores = tuple(TagScore(label, float(p), float(r), float(f), int(s))
                   for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True))
    return Report(scores, sum(s.f1 for s in scores) / len(scores), len(train), len(test))


def fit(examples: Sequence[Example], version: str | None = None) -> Tagger:
    """A tagger learned from every example."""
    labels = _labels(examples)
    pipeline = build_pipeline().fit([e.text for e in examples], _matrix(examples, labels))
    return Tagger(version or datetime.now(UTC).strftime("%Y%m%d%H%M%S"), labels, pipeline, len(examples))


def model_path() -> Path:
    return get_settings().var_dir / "models" / MODEL_FILE


def save(tagger: Tagger, path: Path | None = None) -> Path:
    """Write the model next to its old one, then swap it in: a worker never reads half a file."""
    target = path or model_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    joblib.dump({"version": tagger.version, "labels": list(tagger.labels), "pipeline": tagger.pipeline,
                 "examples": tagger.examples}, partial)
    os.replace(partial, target)
    return target


def examples_for(session: Session | None, include_demo: bool = True) -> list[Example]:
    return (demo_examples() if include_demo else []) + (agent_examples(session) if session is not None else [])


def train(examples: list[Example], path: Path | None = None) -> tuple[Tagger, Report, Path]:
    """Score a held-out split, then learn from everything and save; the tagger, its report and the file.

    It takes the examples rather than a session: learning takes seconds, and no transaction (on SQLite,
    the database's one write lock) may be held open that long."""
    report = evaluate(examples)
    tagger = fit(examples)
    return tagger, report, save(tagger, path)


_loaded: dict[Path, tuple[tuple[int, int], Tagger]] = {}


def forget() -> None:
    """Drop loaded models (tests)."""
    _loaded.clear()


def current(path: Path | None = None) -> Tagger | None:
    """The saved tagger (None before the first training), reloaded when the file changes."""
    target = path or model_path()
    try:
        stat = target.stat()
    except FileNotFoundError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _loaded.get(target)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    data = joblib.load(target)  # our own file under var_dir, written by `save`
    tagger = Tagger(str(data["version"]), tuple(data["labels"]), data["pipeline"], int(data["examples"]))
    _loaded[target] = (stamp, tagger)
    return tagger
