"""Reporting facts, one row each, and their daily sums per dimension in the shop's time zone."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.runtime.partitions import MonthlyTable
from reports import histogram

COVERED = ("day", "seconds", "business_seconds", "value", "channel_id", "team_id", "agent_id", "conversation_id",
           "currency", "amount_minor")


class ReportEvent(SQLModel, table=True):
    """One fact (`kind`, see `reports.kinds`) at one moment, with what it is credited to.

    `source_key` names the row it was derived from (`message:42:read`, `reply:57`...): recording the same fact
    again changes nothing, so listeners, the backfill and a second run never count twice. Ids carry no
    foreign keys: a deleted agent or channel keeps its history.
    """

    __tablename__ = "report_event"
    __table_args__ = (
        UniqueConstraint("source_key", name="uq_report_event_source_key"),
        # Covering on PostgreSQL: a report's durations are read by an index-only scan, whatever order facts came in.
        Index("ix_report_event_kind_at", "kind", "at", postgresql_include=list(COVERED)),
        Index("ix_report_event_conversation", "conversation_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    source_key: str = Field(max_length=80)
    at: datetime
    day: date
    """`at`'s date in the shop's time zone (the rollups' day)."""
    conversation_id: int | None = None
    contact_id: int | None = None
    channel_id: int | None = None
    team_id: int | None = None
    agent_id: int | None = None
    campaign_id: int | None = None
    flow_id: int | None = None
    store_id: int | None = None
    """The store of a till sale (order facts); None for online orders."""
    order_id: int | None = None
    message_id: int | None = None
    currency: str | None = Field(default=None, max_length=3)
    amount_minor: int | None = Field(default=None, sa_type=BigInteger)
    seconds: float | None = None
    """A duration (first response, reply, resolution), wall-clock."""
    business_seconds: float | None = None
    """The same duration counted only inside the team's business hours, holidays excluded."""
    value: int | None = None
    """A number the fact carries: a CSAT rating; 1 for a first response that broke the team's deadline."""


PARTITIONS = MonthlyTable("report_event", "at", "report_event_key", "uq_report_event_source_key")
"""On PostgreSQL, report_event is partitioned by the month of `at` (alembic/versions/0033_monthly_partitions.py)
and `source_key` is unique in report_event_key instead."""


ROLLUP_READ = ["channel_id", "team_id", "agent_id", "campaign_id", "currency", "count", "amount_minor"]
"""The rollup columns reports read, besides the kind and the day."""


class DailyRollup(SQLModel, table=True):
    """Per shop-local day, fact kind and dimensions: how many, and the sums of their amounts and durations.

    0 stands for "none" in a dimension (so the unique key holds on every database); kept current by
    `reports.rollup.add` in the transaction that writes the facts.
    """

    __tablename__ = "report_rollup"
    __table_args__ = (
        UniqueConstraint("day", "kind", "channel_id", "team_id", "agent_id", "campaign_id", "currency",
                         name="uq_report_rollup_key"),
        # Covering on PostgreSQL: a report sums a range's rows from the index alone, without visiting the rows
        # scattered over the table in the order their days and dimensions first appeared.
        Index("ix_report_rollup_kind_day", "kind", "day", postgresql_include=ROLLUP_READ),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: date
    kind: str = Field(max_length=40)
    channel_id: int = 0
    team_id: int = 0
    agent_id: int = 0
    campaign_id: int = 0
    currency: str = Field(default="", max_length=3)
    count: int = 0
    amount_minor: int = Field(default=0, sa_type=BigInteger)
    seconds: float = 0.0
    business_seconds: float = 0.0


class DurationHistogram(SQLModel, table=True):
    """Per shop-local day, duration kind and cut: how the durations spread, as counts per fixed log-spaced
    bucket (`reports.histogram`), wall-clock and in business hours.

    A cut is one dimension or none: `cut` "all" (every fact of the day, `dim_id` 0), "agent_id", "team_id" or
    "channel_id" (`dim_id` the fact's, 0 for none). A report grouped or filtered by at most one of them reads
    its cut; others read the facts. `wall` and `business` are `[first bucket, count, count...]`; `bands`
    the exact first-response distribution (`reports.spread.BUCKETS`); `flagged` the facts with a value (first
    responses that broke the deadline). Kept current by `reports.rollup.add` beside the daily rollups. A cut
    "m:" + cut holds a closed month's sum of those days (`day` its first day), folded by `reports.months`.
    """

    __tablename__ = "report_duration_histogram"
    __table_args__ = (UniqueConstraint("kind", "cut", "day", "dim_id", name="uq_report_duration_histogram_key"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    cut: str = Field(max_length=16)
    day: date
    dim_id: int = 0
    count: int = 0
    flagged: int = 0
    bands: str = histogram.BANDS_TEXT
    """The five counts, encoded as `reports.histogram.dumps` does, as are `wall` and `business`."""
    wall: str = histogram.EMPTY_TEXT
    business: str = histogram.EMPTY_TEXT


class CampaignTotal(SQLModel, table=True):
    """Per campaign, order fact kind and currency, all time: how many and how much (the campaigns report's
    revenue). Kept current by `reports.rollup.add`."""

    __tablename__ = "report_campaign_total"
    __table_args__ = (UniqueConstraint("campaign_id", "kind", "currency", name="uq_report_campaign_total_key"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int
    kind: str = Field(max_length=40)
    currency: str = Field(default="", max_length=3)
    count: int = 0
    amount_minor: int = Field(default=0, sa_type=BigInteger)
