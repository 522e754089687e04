"""Outgoing webhooks' record for the composition root."""

from __future__ import annotations

from datetime import timedelta

from hub.runtime import Listener, Module, Periodic, Web, events, queues
from hub.webhooks_out import outbox, service
from hub.webhooks_out.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from hub.webhooks_out.views import router
from hub.webhooks_out.web import FOLDER
from hub.webhooks_out.web.pages import router as admin_page


def _hook() -> None:
    events.add_outbox(outbox.write)


MODULE = Module(
    name="webhooks_out",
    models=(WebhookEndpoint, WebhookDelivery, WebhookAttempt),
    pages=(admin_page,),
    web=Web(folder=FOLDER),
    routers=(router,),
    listeners=(Listener(outbox.QUEUED, service.queue_new),),
    hooks=(_hook,),
    periodic=(Periodic(service.sweep, every=timedelta(seconds=5), queue=queues.WEBHOOKS_OUT),),
)
