"""The flows' record for the composition root: segments, broadcast campaigns and journeys (automations)."""

from __future__ import annotations

from datetime import timedelta

from catalog.loyalty.ledger import TIER_CHANGED
from catalog.orders import ORDER_CHANGED, ORDER_PAID
from flows.campaigns import announce, jobs, listeners
from flows.campaigns.links import router as links
from flows.campaigns.models import Campaign, Recipient, TrackedLink
from flows.campaigns.views import router as campaigns
from flows.journeys import demo as journey_demo
from flows.journeys import jobs as journey_jobs
from flows.journeys import triggers
from flows.journeys.models import Flow, FlowEvent, FlowRun, FlowVersion, Task
from flows.journeys.views import router as journeys
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
    web=Web(folder=WEB_FOLDER, styles=("campaigns.css", "journeys.css"), inbox_scripts=("js/flows_inbox.js",),
            strings=strings.STRINGS),
    routers=(segments, campaigns, links, journeys),
    # campaign tracking follows receipts, replies, opt-outs and orders
    listeners=(Listener(events.MESSAGE_STATUS, listeners.on_statuses, batch=True),
               Listener(events.MESSAGE_RECEIVED, listeners.on_received),
               Listener(events.CONTACT_UPDATED, listeners.on_contact_updated),
               Listener(ORDER_PAID, listeners.on_order_paid),
               # journeys: triggers, replies and receipts for waiting runs, a human taking over, goals
               Listener(events.MESSAGE_RECEIVED, triggers.on_message_received),
               Listener(events.MESSAGE_STATUS, triggers.on_statuses, batch=True),
               Listener(events.MESSAGE_CREATED, triggers.on_message_created),
               Listener(events.CONVERSATION_OPENED, triggers.on_conversation_opened),
               Listener(events.CONVERSATION_UPDATED, triggers.on_conversation_updated),
               Listener(events.CONTACT_UPDATED, triggers.on_contact_updated),
               Listener(ORDER_PAID, triggers.on_order_paid),
               Listener(ORDER_CHANGED, triggers.on_order_changed),
               Listener(TIER_CHANGED, triggers.on_tier_changed)),
    hooks=(listeners.attribute_orders, announce.keep_off_live),
    periodic=(Periodic(jobs.tick, every=timedelta(seconds=10), queue="bulk", timeout=60),  # due batches start
              Periodic(journey_jobs.sweep, every=timedelta(seconds=5), queue="bulk", timeout=120),  # due steps
              Periodic(journey_jobs.minutely, every=timedelta(minutes=1), queue="bulk", timeout=300)),
    demo=journey_demo.announce,  # the follow-up and abandoned-cart flows, published
)
