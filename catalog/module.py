"""The catalog's record for the composition root: products, carts, orders, and payments through Stripe."""

from __future__ import annotations

from catalog import chat_replies, demo, jobs, privacy, shopify_orders
from catalog.chat_views import router as chat
from catalog.models import Cart, CartItem, Order, OrderEvent, OrderLine, Price, Product, Variant
from catalog.orders import ORDER_CHANGED
from catalog.payments import jobs as payment_jobs
from catalog.payments.models import StripeCheckout, StripePaymentLink
from catalog.payments.sandbox import router as sandbox_checkout
from catalog.payments.webhook import router as stripe_webhook
from catalog.product_page import router as product_page
from catalog.views import MAX_UPLOAD
from catalog.views import router as api
from catalog.web import FOLDER as WEB_FOLDER
from catalog.web import strings
from catalog.web.pages import router as admin_page
from hub.runtime import Listener, Module, Web, events

MODULE = Module(
    name="catalog",
    models=(Product, Variant, Price, Cart, CartItem, Order, OrderLine, OrderEvent, StripeCheckout,
            StripePaymentLink, shopify_orders.ShopifyStore),
    pages=(product_page, sandbox_checkout, admin_page),
    web=Web(folder=WEB_FOLDER, styles=("catalog.css",), inbox_scripts=("js/catalog_inbox.js",),
            composer_templates=("_composer_picker.html",),
            composer_actions=("_composer_actions.html",), help_keys=("_help_keys.html",), strings=strings.STRINGS),
    routers=(api, chat, stripe_webhook, shopify_orders.router),
    listeners=(Listener(ORDER_CHANGED, jobs.enqueue_recompute),  # behaviour tags follow orders
               Listener(events.MESSAGE_RECEIVED, chat_replies.enqueue_cart_replies, batch=True)),
    hooks=(privacy.register,),  # a contact's export and erasure cover their orders
    periodic=(jobs.NIGHTLY,),
    inbox={payment_jobs.PROVIDER: payment_jobs.INBOX, shopify_orders.PROVIDER: shopify_orders.INBOX},
    uploads={"/api/v1/products/import": MAX_UPLOAD},  # the product CSV import
    demo=demo.announce,
)
