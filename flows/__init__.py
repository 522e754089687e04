"""Automations, bots and broadcasts. Built on hub (and catalog) services and events."""
