"""Loyalty's record for the composition root: the ledger's tables, the API, the contact panel's section, the
listeners that earn on paid orders and reverse on refunds, and the hourly expiry."""

from __future__ import annotations

from catalog.loyalty import demo, jobs, privacy
from catalog.loyalty.models import EarnRule, LoyaltyAccount, LoyaltyEntry, LoyaltyProgram, LoyaltyTier
from catalog.loyalty.views import router as api
from catalog.loyalty.web import FOLDER as WEB_FOLDER
from catalog.loyalty.web import strings
from catalog.loyalty.web.pages import router as admin_page
from catalog.orders import ORDER_PAID, ORDER_PARTLY_REFUNDED, ORDER_REFUNDED
from hub.runtime import Listener, Module, Web

MODULE = Module(
    name="loyalty",
    models=(LoyaltyEntry, LoyaltyAccount, EarnRule, LoyaltyTier, LoyaltyProgram),
    pages=(admin_page,),
    web=Web(folder=WEB_FOLDER, inbox_scripts=("js/loyalty_inbox.js",), strings=strings.STRINGS),
    routers=(api,),
    listeners=(Listener(ORDER_PAID, jobs.on_order_paid),  # online, Shopify and till purchases alike
               Listener(ORDER_REFUNDED, jobs.on_order_refunded),
               Listener(ORDER_PARTLY_REFUNDED, jobs.on_order_refunded)),
    hooks=(privacy.register,),  # a contact's export and erasure cover their points
    periodic=(jobs.SWEEP,),
    demo=demo.announce,
)
