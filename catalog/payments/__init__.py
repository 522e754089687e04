"""Payments through Stripe: Checkout Sessions and Payment Links out, signed webhook events in.

`stripe_checkout` creates sessions (or, with no STRIPE_SECRET_KEY, a sandbox checkout page);
`webhook` stores each signed event in the raw-event inbox and answers; `jobs` turns stored events into paid, expired and
refunded orders through `catalog.orders`. Importing this package loads no web layer.
"""

from catalog.payments.models import StripeCheckout, StripePaymentLink

__all__ = ["StripeCheckout", "StripePaymentLink"]
