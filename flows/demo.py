"""The flows' demo for `make run`: the demo journeys, the demo broadcast and the shop assistant bot."""

from __future__ import annotations

from flows.bots import demo as bot_demo
from flows.campaigns import demo as campaign_demo
from flows.journeys import demo as journey_demo


def announce() -> str | None:
    said = [line for line in (journey_demo.announce(), campaign_demo.announce(), bot_demo.announce()) if line]
    return "; ".join(said) or None
