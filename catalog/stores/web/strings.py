"""The strings the redemption page's script shows (store_desk.js), translated in hub/web/locale."""

from __future__ import annotations

from hub.web.i18n import N_

STRINGS = {
    "desk_scan_unsupported": N_("This browser cannot scan codes: type the code instead."),
    "desk_camera_denied": N_("The camera is not available: type the code instead."),
    "desk_scanning": N_("Point the camera at the coupon's QR code."),
    "desk_looking": N_("Looking up the code…"),
    "desk_state_issued": N_("Valid"), "desk_state_redeemed": N_("Already redeemed"),
    "desk_state_expired": N_("Expired"),
    "desk_redeemed_at": N_("Redeemed at {store} on {when}"),
    "desk_expires": N_("Valid until {when}"),
    "desk_done": N_("Redeemed. Thank you!"),
    "desk_no_store": N_("You do not work at any store yet: ask an admin to add you to one."),
    # the stores page (admin_stores.js)
    "stores_none": N_("No store yet."), "stores_no_staff": N_("nobody works here yet"),
    "stores_no_clerks": N_("No user has the Store staff role yet: give one that role on the users page."),
    "stores_close": N_("Close"), "stores_open": N_("Open again"), "stores_saved": N_("Store saved."),
    "err_coupon_unknown": N_("No coupon has this code."),
    "err_coupon_already_redeemed": N_("This coupon was already redeemed."),
    "err_coupon_expired": N_("This coupon has expired."),
    "err_coupon_other_campaign": N_("This coupon belongs to another campaign."),
    "err_coupon_unknown_store": N_("This store is not open for redemptions."),
}
