"""Admins' tagging settings: rules, the shop's business hours, and each tag's auto-apply threshold.

Every change is audited, and a change to rules or hours bumps the rules' version in the same
transaction, so every worker recompiles before the next message. Bad input raises `SettingError`
with a sentence a person understands.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from hub.agents.models import User
from hub.assignment import hours
from hub.audit import service as audit
from hub.runtime import upsert
from hub.runtime.db import utcnow
from hub.tagging import rules, service
from hub.tagging.models import BusinessHours, TagRule, TagRuleVersion
from hub.tags.models import ContactTag, ConversationTag, Tag


class SettingError(ValueError):
    """The change cannot be applied; the message says why (422)."""


class NotFound(LookupError):
    """No such rule or tag (404)."""


class Conflict(ValueError):
    """Another rule has that name (409)."""


def bump(session: Session) -> None:
    """Move the rules' version on, in the caller's transaction."""
    table = TagRuleVersion.__table__  # type: ignore[attr-defined]
    now = utcnow()
    upsert(session, table, [{"id": 1, "version": 1, "changed_at": now}], key=["id"],
           update={"version": table.c.version + 1, "changed_at": now})


def _audit(session: Session, actor: User | None, action: str, target_type: str, target_id: object,
           details: dict[str, Any]) -> None:
    audit.record(session=session, actor_id=actor.id if actor else None, action=action, target_type=target_type,
                 target_id=target_id, details=details)


def list_rules(*, session: Session) -> list[TagRule]:
    return list(session.execute(select(TagRule).order_by(col(TagRule.id))).scalars())


def get_rule(*, session: Session, rule_id: int) -> TagRule:
    rule = session.get(TagRule, rule_id)
    if rule is None:
        raise NotFound("no tag rule with that id")
    return rule


def _checked(values: dict[str, Any]) -> rules.RuleSpec:
    try:
        return rules.parse(values)
    except rules.RuleError as error:
        raise SettingError(str(error)) from None


def _store(session: Session, rule: TagRule, spec: rules.RuleSpec) -> None:
    data = spec.model_dump(mode="json")
    rule.name, rule.enabled, rule.match = spec.name, spec.enabled, spec.match
    rule.conditions, rule.actions, rule.updated_at = data["conditions"], data["actions"], utcnow()
    try:
        with session.begin_nested():
            session.add(rule)
            session.flush()
    except IntegrityError:
        raise Conflict(f"another rule is called {spec.name!r}; choose another name") from None
    service.tag_ids(session, {action.tag for action in spec.actions})  # admins see the tags and set thresholds
    bump(session)


def create_rule(*, session: Session, actor: User | None, values: dict[str, Any]) -> TagRule:
    """A new rule from its JSON form (see `hub.tagging.rules.RuleSpec`)."""
    spec = _checked(values)
    rule = TagRule(name=spec.name)
    _store(session, rule, spec)
    _audit(session, actor, "tag_rule.created", "tag_rule", rule.id, service.spec_of(rule))
    return rule


def update_rule(*, session: Session, actor: User | None, rule_id: int, changes: dict[str, Any]) -> TagRule:
    """Change the given parts of a rule (name, enabled, match, conditions, actions)."""
    rule = get_rule(session=session, rule_id=rule_id)
    before = service.spec_of(rule)
    spec = _checked({**before, **changes})
    _store(session, rule, spec)
    _audit(session, actor, "tag_rule.updated", "tag_rule", rule.id, {"before": before, "after": service.spec_of(rule)})
    return rule


def delete_rule(*, session: Session, actor: User | None, rule_id: int) -> None:
    """Delete a rule; tags it applied stay (their source still names it)."""
    rule = get_rule(session=session, rule_id=rule_id)
    details = service.spec_of(rule)
    session.delete(rule)
    bump(session)
    _audit(session, actor, "tag_rule.deleted", "tag_rule", rule_id, details)


def shop_hours(*, session: Session) -> BusinessHours:
    """The shop-wide hours (always open until an admin sets them)."""
    return session.get(BusinessHours, 1) or BusinessHours()


def set_shop_hours(*, session: Session, actor: User | None, timezone: str,
                   weekly: dict[str, Any] | None) -> BusinessHours:
    """Set the shop-wide time zone and weekly hours (None: always open)."""
    try:
        hours.validate(timezone, weekly)
    except hours.InvalidHours as error:
        raise SettingError(str(error)) from None
    row = session.get(BusinessHours, 1) or BusinessHours(id=1)
    before = {"timezone": row.timezone, "weekly_hours": row.weekly_hours}
    row.timezone, row.weekly_hours, row.updated_at = timezone, weekly, utcnow()
    session.add(row)
    session.flush()
    bump(session)
    _audit(session, actor, "business_hours.updated", "business_hours", 1,
           {"before": before, "after": {"timezone": timezone, "weekly_hours": weekly}})
    return row


def list_tags(*, session: Session) -> list[tuple[Tag, int, int]]:
    """Every tag with how many conversations and contacts have it, by name."""
    conversations = (select(col(ConversationTag.tag_id), func.count().label("n")).group_by(col(ConversationTag.tag_id))
                     .subquery())
    contacts = select(col(ContactTag.tag_id), func.count().label("n")).group_by(col(ContactTag.tag_id)).subquery()
    rows = session.execute(
        select(Tag, func.coalesce(conversations.c.n, 0), func.coalesce(contacts.c.n, 0))
        .outerjoin(conversations, conversations.c.tag_id == Tag.id)
        .outerjoin(contacts, contacts.c.tag_id == Tag.id).order_by(col(Tag.name)))
    return [(tag, int(on_conversations), int(on_contacts)) for tag, on_conversations, on_contacts in rows]


def update_tag(*, session: Session, actor: User | None, name: str, changes: dict[str, Any]) -> Tag:
    """Set a tag's colour or auto-apply threshold (None: the classifier only suggests it)."""
    tag: Tag | None = session.execute(select(Tag).where(col(Tag.name) == name)).scalar_one_or_none()
    if tag is None:
        raise NotFound(f"no tag called {name!r}")
    before = {"color": tag.color, "auto_apply_threshold": tag.auto_apply_threshold}
    threshold = changes.get("auto_apply_threshold", tag.auto_apply_threshold)
    if threshold is not None and not 0 < threshold <= 1:
        raise SettingError("auto_apply_threshold must be above 0 and at most 1, or null to only suggest")
    tag.auto_apply_threshold = threshold
    tag.color = changes.get("color") or tag.color
    session.add(tag)
    session.flush()
    after = {"color": tag.color, "auto_apply_threshold": tag.auto_apply_threshold}
    _audit(session, actor, "tag.updated", "tag", tag.id, {"name": name, "before": before, "after": after})
    return tag
