"""Stores (shops on the street), the coupons Hub hands out and their redemption at a store's till, and
purchases made at a till (the POS API and its CSV import)."""
