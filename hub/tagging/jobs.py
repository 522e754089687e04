"""Tagging jobs and the listener that enqueues them. Jobs take ids, open their own session, and are
safe to run twice (a tag a conversation has is never added again, a suggestion is refreshed in place)."""

from __future__ import annotations

import logging
from datetime import timedelta

from hub.runtime import Periodic, broker, events, queues
from hub.runtime.db import session_scope
from hub.tagging import service, suggest, train

log = logging.getLogger(__name__)

QUEUE = "inbound"
RETRAIN_QUEUE = queues.MAINTENANCE
RETRAIN_HOUR_UTC = 18
"""The nightly retrain starts with the first sweep after 18:00 UTC: 02:00 in Hong Kong, 03:00 in Tokyo."""


def apply_rules(message_id: int) -> str:
    """Run the tag rules, then the classifier, on one stored inbound message; how many tags it added."""
    try:
        tagger = train.current()
    except Exception:  # a model that cannot be read must not keep the rules from running
        log.exception("could not load the tagger from %s; running the rules only", train.model_path())
        tagger = None
    with session_scope() as session:
        message = service.inbound(session, message_id)
        if message is None:
            return "not an inbound message"
        applied = service.apply_rules(session=session, message=message)
        if tagger is not None:
            applied += suggest.suggest(session=session, message=message, tagger=tagger)
    return f"{len(applied)} tags added"


def apply_rules_each(message_ids: list[int]) -> str:
    """`apply_rules` on each of a commit's inbound messages, in one job."""
    return broker.each(QUEUE, apply_rules, message_ids)


def enqueue_rules(batch: list[events.Event]) -> None:
    """Every message a customer sends gets its tag rules run: one job per commit (batch listener on
    MESSAGE_RECEIVED)."""
    broker.enqueue_each(QUEUE, apply_rules_each, [int(event.data["message_id"]) for event in batch])


def retrain() -> str:
    """Learn again from the tags agents applied (and the demo set); the new model's version."""
    try:
        with session_scope() as session:
            examples = train.examples_for(session)
        tagger, report, path = train.train(examples)
    except train.TrainingError as error:
        log.warning("tagger not retrained: %s", error)
        return f"skipped: {error}"
    log.info("tagger %s saved to %s; macro F1 %.3f on %d held-out examples", tagger.version, path,
             report.macro_f1, report.tested_on)
    return tagger.version


NIGHTLY_RETRAIN = Periodic(retrain, every=timedelta(days=1), at=timedelta(hours=RETRAIN_HOUR_UTC), queue=RETRAIN_QUEUE,
                           timeout=3600)
"""The nightly retrain: once a day, whichever worker's sweeper gets there first."""
