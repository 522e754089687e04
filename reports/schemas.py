"""The reports' JSON: every report answers {range, previous, totals, series, rows} (see the README)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class DateRange(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", description="first day, in `tz`")
    to: date = Field(description="last day, included")
    tz: str = Field(description="IANA time zone the days are counted in", examples=["Asia/Hong_Kong"])


class Duration(BaseModel):
    """A duration's spread in seconds: wall-clock, and counting only business hours (holidays closed)."""

    count: int = Field(0, description="how many durations were measured")
    median_seconds: float | None = None
    p90_seconds: float | None = None
    business_median_seconds: float | None = None
    business_p90_seconds: float | None = None


FIRST_RESPONSE_BUCKETS = ("0-1h", "1-4h", "4-8h", "8-24h", ">24h")


class ServiceFigures(BaseModel):
    conversations: int = Field(0, description="conversations opened")
    incoming_messages: int = 0
    outgoing_messages: int = Field(0, description="every outbound message: replies, broadcasts, flows, bots")
    resolved: int = 0
    reopened: int = 0
    bot_handoffs: int = Field(0, description="conversations a bot handed to a person")
    bot_contained: int = Field(0, description="conversations a bot answered, resolved with no person's reply")
    bot_containment: float | None = Field(None, description="bot_contained ÷ (bot_contained + bot_handoffs)")
    first_response: Duration = Field(default_factory=Duration)
    resolution: Duration = Field(default_factory=Duration, description="from opening (or reopening) to resolved")
    reply: Duration = Field(default_factory=Duration, description="each agent reply, from the oldest waiting message")
    sla_breaches: int = Field(0, description="first responses later than the team's deadline (Settings → Teams)")
    first_response_buckets: dict[str, int] = Field(
        default_factory=lambda: dict.fromkeys(FIRST_RESPONSE_BUCKETS, 0),
        description="first responses by wall-clock time taken: 0-1h, 1-4h, 4-8h, 8-24h, >24h")


class ServicePoint(ServiceFigures):
    key: str = Field(description="the day / week's Monday / month (YYYY-MM), or the agent, team or channel id, "
                                 "or the tag name")
    label: str | None = Field(None, description="the agent's, team's or channel's name")


SERVICE_EXAMPLE: dict[str, Any] = {
    "range": {"from": "2026-11-01", "to": "2026-11-30", "tz": "Asia/Hong_Kong"},
    "previous": {"conversations": 380, "incoming_messages": 2900, "outgoing_messages": 3100, "resolved": 350},
    "totals": {"conversations": 412, "incoming_messages": 3120, "outgoing_messages": 3380, "resolved": 390,
               "reopened": 12, "first_response": {"count": 400, "median_seconds": 540.0, "p90_seconds": 5400.0,
                                                  "business_median_seconds": 300.0, "business_p90_seconds": 2700.0},
               "sla_breaches": 31,
               "first_response_buckets": {"0-1h": 310, "1-4h": 50, "4-8h": 20, "8-24h": 15, ">24h": 5}},
    "series": [{"key": "2026-11-01", "conversations": 12}],
    "rows": [{"key": "3", "label": "Mei", "conversations": 120}],
}


class ServiceReport(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SERVICE_EXAMPLE]})

    range: DateRange
    previous: ServiceFigures = Field(description="the same totals for the period of the same length just before")
    totals: ServiceFigures
    series: list[ServicePoint] = Field(description="per day, week or month (group_by's, else per day)")
    rows: list[ServicePoint] = Field(description="per agent, team, channel or tag when group_by is one of them")


class AgentFigures(BaseModel):
    replies: int = 0
    first_responses: int = 0
    resolved: int = 0
    outgoing_messages: int = 0
    first_response: Duration = Field(default_factory=Duration)
    reply: Duration = Field(default_factory=Duration)
    resolution: Duration = Field(default_factory=Duration)
    csat_responses: int = 0
    csat_score: float | None = Field(None, description="ratings of 4 or 5 ÷ responses")


class AgentRow(AgentFigures):
    key: str = Field(description="the agent's id, or the day / week / month in `series`")
    label: str | None = Field(None, description="the agent's name")


class AgentsReport(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "range": {"from": "2026-11-01", "to": "2026-11-30", "tz": "Asia/Hong_Kong"},
        "previous": {"replies": 800}, "totals": {"replies": 912, "resolved": 390},
        "series": [{"key": "2026-11-01", "replies": 30}],
        "rows": [{"key": "3", "label": "Mei", "replies": 320, "resolved": 140, "csat_score": 0.92}]}]})

    range: DateRange
    previous: AgentFigures
    totals: AgentFigures
    series: list[AgentRow]
    rows: list[AgentRow] = Field(description="one row per agent")
