"""Journeys: automations that follow up, win back and recover carts on their own (issue 15; docs/flows.md)."""
