"""The flows' record for the composition root: segments and broadcast campaigns."""

from __future__ import annotations

from datetime import timedelta

from catalog.orders import ORDER_PAID
from flows.campaigns import jobs, listeners
from flows.campaigns.links import router as links
from flows.campaigns.models import Campaign, Recipient, TrackedLink
from flows.campaigns.views import router as campaigns
from flows.journeys.models import Flow, FlowEvent, FlowRun, FlowVersion, Task
from flows.segments.models import Segment
from flows.segments.views import router as segments
from flows.web import FOLDER as WEB_FOLDER
from flows.web import strings
from flows.web.pages import router as page
from hub.runtime import Listener, Module, Periodic, Web, events

MODULE = Module(
    name="flows",
    models=(Segment, Campaign, Recipient, TrackedLink, Flow, FlowVersion, FlowRun, FlowEvent, Task),
    pages=(page,),
    web=Web(folder=WEB_FOLDER, styles=("campaigns.css",), strings=strings.STRINGS),
    routers=(segments, campaigns, links),
    # campaign tracking follows receipts, replies, opt-outs and orders
    listeners=(Listener(events.MESSAGE_STATUS, listeners.on_statuses, batch=True),
               Listener(events.MESSAGE_RECEIVED, listeners.on_received),
               Listener(events.CONTACT_UPDATED, listeners.on_contact_updated),
               Listener(ORDER_PAID, listeners.on_order_paid)),
    hooks=(listeners.attribute_orders,),
    periodic=(Periodic(jobs.tick, every=timedelta(seconds=10), queue="bulk", timeout=60),),  # due batches start
)
