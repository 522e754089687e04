"""The loyalty API's bodies and answers (OpenAPI documents them with their enums and examples)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from catalog.loyalty.models import EarnRule, EntryKind, LoyaltyEntry, LoyaltyProgram, LoyaltyTier


class TierOut(BaseModel):
    id: int
    name: str = Field(examples=["Gold"])
    threshold: int = Field(description="qualifying points that reach this tier", examples=[1000])
    benefits: list[str] = Field(examples=[["10% off every purchase", "free alterations"]])


class EntryOut(BaseModel):
    id: int
    kind: EntryKind = Field(description="earn: a paid order; reverse: a refund; expire: unspent points past "
                            "their time; adjust: a person's correction")
    points: int = Field(description="positive or negative", examples=[128])
    reason: str = Field(examples=["order ABCD-EFGH"])
    order_id: int | None
    actor_id: int | None = Field(description="who adjusted (adjustments only)")
    expires_at: datetime | None = Field(description="when what is left of positive points expires")
    created_at: datetime


class LoyaltyOut(BaseModel):
    contact_id: int
    balance: int = Field(description="the sum of the contact's ledger entries", examples=[1240])
    qualifying_points: int = Field(description="earned less reversed plus adjustments: what tiers are measured by "
                                   "(expiry does not lower it)", examples=[1520])
    tier: TierOut | None
    next_tier: TierOut | None = Field(description="the next tier up, if any")
    entries: list[EntryOut] = Field(description="the latest entries, newest first")


class AdjustmentIn(BaseModel):
    points: int = Field(description="added (positive) or taken (negative); not 0", examples=[200, -50])
    reason: str = Field(min_length=1, max_length=500, examples=["goodwill for a late delivery"])
    idempotency_key: str | None = Field(default=None, max_length=100,
                                        description="the same key again posts nothing new (a retried request)",
                                        examples=["crm-4711"])


class AdjustmentOut(BaseModel):
    entry: EntryOut
    balance: int
    created: bool = Field(description="false: the idempotency key was used before; `entry` is that first one")


class RuleIn(BaseModel):
    points: int = Field(ge=0, le=1_000_000, examples=[1])
    spend_minor: int = Field(gt=0, le=10**12, description="per this much spent, in the currency's minor unit",
                             examples=[1000])


class RuleOut(RuleIn):
    currency: str = Field(examples=["HKD"])
    updated_at: datetime


class TierIn(BaseModel):
    name: str = Field(min_length=1, max_length=60, examples=["Gold"])
    threshold: int = Field(ge=0, le=10**12, examples=[1000])
    benefits: list[str] = Field(default_factory=list, max_length=20, examples=[["10% off every purchase"]])


class ProgramIn(BaseModel):
    expiry_days: int = Field(ge=0, le=3650, description="earned points unspent this long expire; 0: never",
                             examples=[365])
    allow_negative: bool = Field(description="may a refund or an adjustment take the balance below zero",
                                 examples=[False])


class ProgramOut(ProgramIn):
    rules: list[RuleOut]
    tiers: list[TierOut]


def tier_out(tier: LoyaltyTier | None) -> TierOut | None:
    if tier is None:
        return None
    return TierOut(id=tier.id or 0, name=tier.name, threshold=tier.threshold, benefits=[str(b) for b in tier.benefits])


def entry_out(entry: LoyaltyEntry) -> EntryOut:
    return EntryOut(id=entry.id or 0, kind=EntryKind(entry.kind), points=entry.points, reason=entry.reason,
                    order_id=entry.order_id, actor_id=entry.actor_id, expires_at=entry.expires_at,
                    created_at=entry.created_at)


def rule_out(rule: EarnRule) -> RuleOut:
    return RuleOut(currency=rule.currency, points=rule.points, spend_minor=rule.spend_minor,
                   updated_at=rule.updated_at)


def loyalty_out(found: dict[str, Any]) -> LoyaltyOut:
    return LoyaltyOut(contact_id=found["contact_id"], balance=found["balance"],
                      qualifying_points=found["qualifying_points"], tier=tier_out(found["tier"]),
                      next_tier=tier_out(found["next_tier"]), entries=[entry_out(e) for e in found["entries"]])


def program_out(settings: LoyaltyProgram, rules: list[EarnRule], tiers: list[LoyaltyTier]) -> ProgramOut:
    return ProgramOut(expiry_days=settings.expiry_days, allow_negative=settings.allow_negative,
                      rules=[rule_out(r) for r in rules], tiers=[t for t in map(tier_out, tiers) if t is not None])
