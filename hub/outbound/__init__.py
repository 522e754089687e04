"""The one delivery engine (see `engine`): enqueue, claim, send and record every outbound message; the
channel throttles (`throttle`)."""

from hub.outbound.engine import (
    MAX_SEND_ATTEMPTS,
    RESENT,
    Draft,
    Outcome,
    Recorded,
    Sender,
    claim,
    due_for_job,
    enqueue,
    fail,
    mark_lapsed,
    mark_resent,
    record,
    release_keys,
    send,
)

__all__ = ["MAX_SEND_ATTEMPTS", "RESENT", "Draft", "Outcome", "Recorded", "Sender", "claim", "due_for_job",
           "enqueue", "fail", "mark_lapsed", "mark_resent", "record", "release_keys", "send"]
