"""The sales and campaigns reports' JSON. Money is in minor units per currency, never added across currencies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from reports.schemas import DateRange


class Money(BaseModel):
    currency: str = Field(examples=["HKD"])
    orders: int = Field(0, description="orders paid in the range")
    revenue_minor: int = Field(0, description="their totals, in minor units (29600 is HK$296.00)")
    refunds: int = Field(0, description="orders refunded in the range (whenever they were paid)")
    refunded_minor: int = 0
    net_minor: int = Field(0, description="revenue_minor - refunded_minor")


class SalesFigures(BaseModel):
    currencies: list[Money] = Field(default_factory=list, description="one entry per currency, never summed")


class SalesPoint(Money):
    key: str = Field(description="the day / week / month, or the agent, team, channel, campaign or flow id "
                                 "(\"\" for none: orders no campaign or agent is credited with)")
    label: str | None = None


class SalesReport(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "range": {"from": "2026-11-01", "to": "2026-11-30", "tz": "Asia/Hong_Kong"},
        "previous": {"currencies": [{"currency": "HKD", "orders": 80, "revenue_minor": 2368000,
                                     "refunds": 2, "refunded_minor": 59200, "net_minor": 2308800}]},
        "totals": {"currencies": [{"currency": "HKD", "orders": 95, "revenue_minor": 2812000, "refunds": 3,
                                   "refunded_minor": 88800, "net_minor": 2723200},
                                  {"currency": "JPY", "orders": 40, "revenue_minor": 520000, "refunds": 0,
                                   "refunded_minor": 0, "net_minor": 520000}]},
        "series": [{"key": "2026-11-01", "currency": "HKD", "orders": 4, "revenue_minor": 118400}],
        "rows": [{"key": "12", "label": "Black Friday", "currency": "HKD", "orders": 30, "revenue_minor": 888000}]}]})

    range: DateRange
    previous: SalesFigures
    totals: SalesFigures
    series: list[SalesPoint] = Field(description="per day / week / month and currency")
    rows: list[SalesPoint] = Field(description="per agent / team / channel / campaign / flow and currency")


class FunnelStep(BaseModel):
    step: str = Field(examples=["delivered"], description="sent, delivered, read, clicked, replied, bought")
    count: int
    rate: float = Field(description="of the recipients who were not skipped")


class CampaignRow(BaseModel):
    key: str = Field(description="the campaign's id")
    label: str = Field(description="the campaign's name")
    status: str
    launched_at: str | None = None
    recipients: int
    skipped: int = Field(description="not sent on purpose (no consent, no identity on the channel...)")
    funnel: list[FunnelStep]
    revenue: list[Money] = Field(description="orders credited to the campaign, per currency")
    store_visits: int = Field(default=0, description="the campaign's coupons redeemed at a store's till")
    stores: list[dict[str, object]] = Field(default_factory=list, examples=[[
        {"store_id": 1, "store_name": "Causeway Bay", "visits": 12}]], description="store visits per store")
    variants: dict[str, dict[str, float | int]] = Field(description="the same counts and rates per A/B variant")
    ab_test: list[dict[str, object]] = Field(
        description="each variant against the first: reply and conversion rates, z, p_value, significant (p < 0.05)")


class CampaignTotals(BaseModel):
    campaigns: int = 0
    recipients: int = 0
    funnel: list[FunnelStep] = Field(default_factory=list)
    revenue: list[Money] = Field(default_factory=list)
    store_visits: int = 0


class CampaignsReport(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "range": {"from": "2026-11-01", "to": "2026-11-30", "tz": "Asia/Hong_Kong"},
        "previous": {"campaigns": 1, "recipients": 900},
        "totals": {"campaigns": 2, "recipients": 2000, "funnel": [{"step": "sent", "count": 1980, "rate": 0.99}]},
        "series": [{"key": "2026-11-03", "sent": 1000, "delivered": 970, "read": 610}],
        "rows": [{"key": "12", "label": "雙十一", "status": "done", "recipients": 1000,
                  "funnel": [{"step": "sent", "count": 990, "rate": 0.99},
                             {"step": "bought", "count": 21, "rate": 0.0212}],
                  "revenue": [{"currency": "HKD", "orders": 21, "revenue_minor": 621600}],
                  "variants": {"A": {"recipients": 500}, "B": {"recipients": 500}},
                  "ab_test": [{"a": "A", "b": "B", "converted": {"a_rate": 0.018, "b_rate": 0.024, "z": -0.66,
                                                                 "p_value": 0.51, "significant": False}}]}]}]})

    range: DateRange
    previous: CampaignTotals = Field(description="the campaigns launched in the period before")
    totals: CampaignTotals
    series: list[dict[str, int | str]] = Field(
        description="broadcast messages sent / delivered / read / failed per day")
    rows: list[CampaignRow] = Field(description="one per campaign, side by side")
