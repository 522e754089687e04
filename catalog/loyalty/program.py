"""What admins keep: earn rules per currency, tiers, the program's settings; and manual adjustments. Each
change is written to the audit log in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from catalog import money
from catalog.errors import NotFound
from catalog.loyalty import ledger
from catalog.loyalty.ledger import LoyaltyError, Posted
from catalog.loyalty.models import EarnRule, EntryKind, LoyaltyAccount, LoyaltyEntry, LoyaltyProgram, LoyaltyTier
from hub.audit.service import record
from hub.runtime.db import utcnow


def rules(*, session: Session) -> list[EarnRule]:
    return list(session.exec(select(EarnRule).order_by(col(EarnRule.currency))))


def set_rule(*, session: Session, actor_id: int | None, currency: str, points: int, spend_minor: int) -> EarnRule:
    """Earn `points` per `spend_minor` spent in `currency` (made or replaced)."""
    code = money.currency_code(currency)
    if points < 0 or spend_minor <= 0:
        raise LoyaltyError("points must be 0 or more and the spend more than 0")
    rule = session.get(EarnRule, code) or EarnRule(currency=code, points=points, spend_minor=spend_minor)
    rule.points, rule.spend_minor, rule.updated_at = points, spend_minor, utcnow()
    session.add(rule)
    record(session=session, actor_id=actor_id, action="loyalty.rule.set", target_type="loyalty_earn_rule",
           target_id=code, details={"points": points, "spend_minor": spend_minor})
    session.flush()
    return rule


def delete_rule(*, session: Session, actor_id: int | None, currency: str) -> bool:
    rule = session.get(EarnRule, currency.strip().upper())
    if rule is None:
        return False
    session.delete(rule)
    record(session=session, actor_id=actor_id, action="loyalty.rule.delete", target_type="loyalty_earn_rule",
           target_id=rule.currency)
    session.flush()
    return True


def tiers(*, session: Session) -> list[LoyaltyTier]:
    return list(session.exec(select(LoyaltyTier).order_by(col(LoyaltyTier.threshold))))


def save_tier(*, session: Session, actor_id: int | None, tier_id: int | None, name: str, threshold: int,
              benefits: list[str]) -> LoyaltyTier:
    """Make a tier (`tier_id` None) or change one; every account's tier is recomputed after."""
    name = name.strip()
    if not name or threshold < 0:
        raise LoyaltyError("a tier needs a name and a threshold of 0 points or more")
    tier = LoyaltyTier(name=name, threshold=threshold) if tier_id is None else session.get(LoyaltyTier, tier_id)
    if tier is None:
        raise NotFound(f"there is no tier {tier_id}")
    tier.name, tier.threshold, tier.benefits = name, threshold, [str(b).strip() for b in benefits if str(b).strip()]
    try:
        with session.begin_nested():
            session.add(tier)
            session.flush()
    except IntegrityError:
        raise LoyaltyError("another tier has this name or this threshold already") from None
    record(session=session, actor_id=actor_id, action="loyalty.tier.save", target_type="loyalty_tier",
           target_id=tier.id, details={"name": name, "threshold": threshold})
    ledger.recompute_tiers(session=session)
    return tier


def delete_tier(*, session: Session, actor_id: int | None, tier_id: int) -> bool:
    tier = session.get(LoyaltyTier, tier_id)
    if tier is None:
        return False
    session.delete(tier)
    session.flush()
    record(session=session, actor_id=actor_id, action="loyalty.tier.delete", target_type="loyalty_tier",
           target_id=tier_id, details={"name": tier.name})
    ledger.recompute_tiers(session=session)
    return True


def save_program(*, session: Session, actor_id: int | None, expiry_days: int, allow_negative: bool) -> LoyaltyProgram:
    if expiry_days < 0:
        raise LoyaltyError("expiry_days must be 0 (never) or more")
    settings = session.get(LoyaltyProgram, 1) or LoyaltyProgram(id=1)
    settings.expiry_days, settings.allow_negative, settings.updated_at = expiry_days, allow_negative, utcnow()
    session.add(settings)
    record(session=session, actor_id=actor_id, action="loyalty.program.save", target_type="loyalty_program",
           target_id=1, details={"expiry_days": expiry_days, "allow_negative": allow_negative})
    session.flush()
    return settings


def adjust(*, session: Session, actor_id: int | None, contact_id: int, points: int, reason: str,
           key: str | None = None) -> Posted:
    """A person's correction: `points` (not 0) with a reason, and an audit entry. `key` makes a retried
    request post once."""
    reason = reason.strip()
    if points == 0 or not reason:
        raise LoyaltyError("an adjustment needs points other than 0 and a reason")
    posted = ledger.post(session=session, contact_id=contact_id, kind=EntryKind.adjust, points=points,
                         key=f"adjust:{key}" if key else f"adjust:{contact_id}:{utcnow().isoformat()}:{actor_id}",
                         reason=reason, actor_id=actor_id)
    if posted.created and posted.entry is not None:
        record(session=session, actor_id=actor_id, action="loyalty.adjust", target_type="contact",
               target_id=contact_id, details={"points": points, "reason": reason, "entry_id": posted.entry.id,
                                              "balance": posted.account.balance})
    return posted


def summary(*, session: Session, contact_id: int, limit: int = 20) -> dict[str, Any]:
    """A contact's balance, tier, the next tier and their latest entries (nothing posted yet: zeros)."""
    account = session.get(LoyaltyAccount, contact_id)
    balance = account.balance if account else 0
    qualifying = account.qualifying_points if account else 0
    tier = session.get(LoyaltyTier, account.tier_id) if account and account.tier_id else None
    following = session.exec(select(LoyaltyTier).where(col(LoyaltyTier.threshold) > qualifying)
                             .order_by(col(LoyaltyTier.threshold)).limit(1)).first()
    entries = session.exec(select(LoyaltyEntry).where(LoyaltyEntry.contact_id == contact_id)
                           .order_by(col(LoyaltyEntry.id).desc()).limit(limit)).all()
    return {"contact_id": contact_id, "balance": balance, "qualifying_points": qualifying, "tier": tier,
            "next_tier": following, "entries": list(entries)}
