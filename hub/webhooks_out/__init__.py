"""Outgoing webhooks: endpoints the shop's other systems register, fed from an outbox written in the same
transaction as each change, delivered with Standard Webhooks signatures and retried for three days."""
