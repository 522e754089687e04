"""Hub's provider sandbox: Meta's Graph API, Twilio's Messages API and the Telegram Bot API, spoken
for real, with signed receipts and a customer phone page.

A channel without credentials sends here (see `channels.sandbox_secrets`). The tests' provider
fakes are this same code, served on a local port (`serve_in_thread`) and driven through the
official SDKs by the real adapters.

Mount it in Hub's app (development only; `HUB_ENV=production` must not mount it)::

    state = SandboxState()
    app.include_router(make_router(state, settings.public_url, lookup=lookup), prefix="/sandbox")
"""

from channels.sandbox.accounts import Lookup
from channels.sandbox.app import PREFIX, make_app, make_router
from channels.sandbox.inbox import ReceivedWebhook, WebhookInbox
from channels.sandbox.serve import RunningSandbox, serve_in_thread, serve_sandbox
from channels.sandbox.state import ButtonView, Failure, MediaView, ReceiptMode, Record, SandboxState

__all__ = [
    "PREFIX",
    "ButtonView",
    "Failure",
    "Lookup",
    "MediaView",
    "ReceiptMode",
    "ReceivedWebhook",
    "RunningSandbox",
    "Record",
    "SandboxState",
    "WebhookInbox",
    "make_app",
    "make_router",
    "serve_in_thread",
    "serve_sandbox",
]
