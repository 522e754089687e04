"""Satisfaction surveys' record for the composition root."""

from __future__ import annotations

from hub.conversations import store
from hub.csat import answers, jobs
from hub.csat.models import CsatSetting, CsatSurvey
from hub.csat.views import router
from hub.runtime import Listener, Module, events


def take_answers() -> None:
    """Ratings and comments on resolved conversations are stored without reopening them."""
    store.answered_by(answers.ANSWERS)


MODULE = Module(
    name="csat",
    models=(CsatSurvey, CsatSetting),
    routers=(router,),
    listeners=(Listener(events.CONVERSATION_UPDATED, jobs.on_conversation_updated),),
    hooks=(take_answers,),
    periodic=(jobs.SWEEP,),
)
