"""The flows' record for the composition root: segments, broadcast campaigns, journeys (automations) and bots."""

from __future__ import annotations

from datetime import timedelta

from catalog.loyalty.ledger import TIER_CHANGED
from catalog.orders import ORDER_CHANGED, ORDER_PAID
from catalog.stores.coupons import COUPON_REDEEMED
from flows import demo
from flows.bots import dispatch as bot_dispatch
from flows.bots import external as agent_bots
from flows.bots.models import Bot, BotConversation, BotHandoff, KnowledgeEntry
from flows.bots.views import router as bots
from flows.campaigns import announce, jobs, listeners
from flows.campaigns.links import router as links
from flows.campaigns.models import Campaign, Recipient, TrackedLink
from flows.campaigns.views import router as campaigns
from flows.journeys import attribution as journey_attribution
from flows.journeys import jobs as journey_jobs
from flows.journeys import runner, triggers
from flows.journeys.models import Flow, FlowEvent, FlowRun, FlowVersion, Task
from flows.journeys.views import router as journeys
from flows.segments.models import Segment
from flows.segments.views import router as segments
from flows.web import FOLDER as WEB_FOLDER
from flows.web import strings
from flows.web.pages import router as page
from hub.runtime import Listener, Module, Periodic, Web, events, queues

MODULE = Module(
    name="flows",
    models=(Segment, Campaign, Recipient, TrackedLink, Flow, FlowVersion, FlowRun, FlowEvent, Task,
            Bot, KnowledgeEntry, BotConversation, BotHandoff),
    pages=(page,),
    web=Web(folder=WEB_FOLDER, styles=("campaigns.css", "journeys.css"), inbox_scripts=("js/flows_inbox.js",),
            strings=strings.STRINGS),
    routers=(segments, campaigns, links, journeys, bots),
    # campaign tracking follows receipts, replies, opt-outs and orders
    listeners=(Listener(events.MESSAGE_STATUS, listeners.on_statuses, batch=True),
               Listener(events.MESSAGE_RECEIVED, listeners.on_received, batch=True),
               Listener(events.CONTACT_UPDATED, listeners.on_contact_updated),
               Listener(ORDER_PAID, listeners.on_order_paid),
               Listener(COUPON_REDEEMED, listeners.on_coupon_redeemed),  # a store visit converts
               # journeys: triggers, replies and receipts for waiting runs, a human taking over, goals
               Listener(events.MESSAGE_RECEIVED, triggers.on_messages_received, batch=True),
               Listener(events.MESSAGE_STATUS, triggers.on_statuses, batch=True),
               Listener(events.MESSAGE_CREATED, triggers.on_message_created),
               Listener(events.CONVERSATION_OPENED, triggers.on_conversation_opened),
               Listener(events.CONVERSATION_UPDATED, triggers.on_conversation_updated),
               Listener(events.CONTACT_UPDATED, triggers.on_contact_updated),
               Listener(ORDER_PAID, triggers.on_order_paid),
               Listener(ORDER_CHANGED, triggers.on_order_changed),
               Listener(TIER_CHANGED, triggers.on_tier_changed),
               # bots: a customer's message on a conversation in bot mode; external bots' notices
               Listener(events.MESSAGE_RECEIVED, bot_dispatch.on_received),
               Listener(events.CONVERSATION_OPENED, agent_bots.on_conversation_opened),
               Listener(events.CONVERSATION_UPDATED, agent_bots.on_conversation_updated)),
    hooks=(listeners.attribute_orders, journey_attribution.attribute_orders, announce.keep_off_live),
    periodic=(Periodic(jobs.tick, every=timedelta(seconds=10), queue=queues.CAMPAIGNS, timeout=60),  # due batches start
              Periodic(journey_jobs.sweep, every=timedelta(seconds=1), queue=queues.FLOWS,
                       inline=True),  # due steps, from each worker serving flows
              Periodic(journey_jobs.minutely, every=timedelta(minutes=1), queue=queues.FLOWS, timeout=300)),
    give_back={runner.advance_batch: journey_jobs.give_back, runner.advance: journey_jobs.give_back_run},
    demo=demo.announce,  # the follow-up and abandoned-cart flows, the winter coupon broadcast, the shop assistant
)
