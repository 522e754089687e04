"""The flows' demo for `make run`: the demo journeys and the demo broadcast."""

from __future__ import annotations

from flows.campaigns import demo as campaign_demo
from flows.journeys import demo as journey_demo


def announce() -> str | None:
    said = [line for line in (journey_demo.announce(), campaign_demo.announce()) if line]
    return "; ".join(said) or None
