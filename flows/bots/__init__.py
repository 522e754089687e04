"""Bots: flows that answer customers on conversations in bot mode, a knowledge base of answers, a clean handoff
to a person, and external bots driven over a webhook (see docs/bots.md)."""
