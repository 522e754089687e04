"""The strings loyalty's scripts show (loyalty_*.js): the contact panel's points and tier, the admin page. The
shared catalogs in hub/web/locale translate them."""

from __future__ import annotations

from hub.web.i18n import N_

STRINGS = {
    "loyalty_title": N_("Loyalty"),
    "loyalty_balance": N_("{points} points"),
    "loyalty_tier": N_("Tier: {tier}"),
    "loyalty_no_tier": N_("No tier yet"),
    "loyalty_next_tier": N_("{points} more qualifying points to {tier}"),
    "loyalty_error": N_("The points could not be loaded."),
    "loyalty_kind_earn": N_("Earned"), "loyalty_kind_reverse": N_("Refund"),
    "loyalty_kind_expire": N_("Expired"), "loyalty_kind_adjust": N_("Adjusted"),
    "loyalty_recent": N_("Recent points"),
    "loyalty_saved": N_("Saved."),
}
