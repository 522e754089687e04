"""Loyalty: a points ledger per contact (earned on paid orders, reversed on refunds, expiring, adjusted by
admins), earn rules per currency, and tiers. `ledger` posts entries under the contact's lock; `earning` turns
orders into entries; `program` keeps the rules, tiers and settings; `jobs` the listeners and the periodic
expiry; `views` the API."""
