"""Smart tagging's record for the composition root."""

from __future__ import annotations

from hub.runtime import Listener, Module, events
from hub.tagging import jobs
from hub.tagging.models import BusinessHours, TagRule, TagRuleVersion, TagSuggestion
from hub.tagging.views import router

MODULE = Module(
    name="tagging",
    models=(TagRule, TagRuleVersion, BusinessHours, TagSuggestion),
    routers=(router,),
    listeners=(Listener(events.MESSAGE_RECEIVED, jobs.enqueue_rules, batch=True),),
    periodic=(jobs.NIGHTLY_RETRAIN,),
)
