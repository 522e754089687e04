"""Reports' record for the composition root: its tables, its API and the listeners that record facts."""

from __future__ import annotations

from catalog.orders import ORDER_CHANGED
from catalog.stores.pos import ORDER_IMPORTED
from hub.runtime import Listener, Module, Web, events
from reports import demo, kinds, listeners, months, retention
from reports.models import PARTITIONS, DailyRollup, ReportEvent
from reports.views import router
from reports.web import FOLDER as WEB_FOLDER
from reports.web import strings
from reports.web.pages import router as pages

MODULE = Module(
    name="reports",
    models=(ReportEvent, DailyRollup),
    pages=(pages,),
    web=Web(folder=WEB_FOLDER, styles=("reports.css",), strings=strings.STRINGS),
    routers=(router,),
    demo=demo.record_history,
    periodic=(retention.DAILY, months.EVERY_FEW_HOURS),
    partitioned=(PARTITIONS,),
    listeners=(
        Listener(events.MESSAGE_RECEIVED, listeners.on_messages, batch=True),
        Listener(events.MESSAGE_CREATED, listeners.on_replies, batch=True),
        Listener(events.MESSAGE_STATUS, listeners.on_statuses, batch=True),
        Listener(events.CONVERSATION_OPENED, listeners.on_conversations, batch=True),
        Listener(events.CONVERSATION_UPDATED, listeners.on_conversations, batch=True),
        Listener(ORDER_CHANGED, listeners.on_orders, batch=True),
        Listener(ORDER_IMPORTED, listeners.on_imported, batch=True),  # a till's historical sales
        Listener(kinds.CSAT_SENT, listeners.on_csat, batch=True),
        Listener(kinds.CSAT_ANSWERED, listeners.on_csat, batch=True),
    ),
)
