"""Running the tag rules on a stored inbound message, and tagging conversations and contacts once.

The compiled rules are cached in each process and keyed by the version row that every rule change
bumps, so a change made through the API applies to the next message without a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select
from sqlmodel import Session, col

from hub.assignment.models import TeamPolicy
from hub.audit import service as audit
from hub.channel_records.models import Channel, TeamChannel
from hub.contacts.models import Contact
from hub.conversations import activity
from hub.conversations.models import ActivityKind, Conversation, Message
from hub.runtime import events, upsert
from hub.runtime.db import utcnow
from hub.tagging import rules
from hub.tagging.models import BusinessHours, TagRule, TagRuleVersion
from hub.tags.details import source_columns
from hub.tags.models import ContactTag, ConversationTag, Tag

log = logging.getLogger(__name__)

SOURCE_LENGTH = 100


@dataclass(frozen=True)
class Applied:
    """A tag that was new on a conversation or contact, and what put it there."""

    target: str  # conversation | contact
    target_id: int
    tag: str
    source: str


@dataclass(frozen=True)
class Inbound:
    """The stored message a job works on, where it came from, and what the contact's record says."""

    message_id: int
    conversation_id: int
    contact_id: int
    channel_id: int
    channel_kind: str
    kind: str
    text: str
    locale: str | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Tagging:
    """One tag to put on a conversation or contact, and what asks for it (for the source and the audit)."""

    tag: str
    tag_id: int
    source: str
    details: dict[str, Any]


_cache: dict[tuple[str, int, str], rules.RuleSet] = {}


def forget() -> None:
    """Drop the compiled rules of this process (tests switch databases)."""
    _cache.clear()


def version(session: Session) -> tuple[int, str]:
    """The rules' current version and when it changed ((0, "") before any change)."""
    row = session.get(TagRuleVersion, 1, populate_existing=True)
    return (0, "") if row is None else (row.version, row.changed_at.isoformat())


def current_rules(session: Session) -> rules.RuleSet:
    """The enabled rules, compiled; recompiled only when the version row moved."""
    number, changed = version(session)
    key = (str(session.get_bind().engine.url), number, changed)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    specs = []
    for rule in session.execute(select(TagRule).where(col(TagRule.enabled)).order_by(col(TagRule.id))).scalars():
        try:
            specs.append((int(rule.id or 0), rules.parse(spec_of(rule))))
        except rules.RuleError as error:  # e.g. a channel kind that is gone: the other rules still run
            log.warning("tag rule %s (%s) is skipped: %s", rule.id, rule.name, error)
    shop = session.get(BusinessHours, 1)
    compiled = rules.RuleSet(specs, rules.Schedule(shop.timezone, shop.weekly_hours) if shop else None)
    _cache.clear()  # one version per process is enough
    _cache[key] = compiled
    return compiled


def spec_of(rule: TagRule) -> dict[str, Any]:
    return {"name": rule.name, "enabled": rule.enabled, "match": rule.match, "conditions": rule.conditions,
            "actions": rule.actions}


def inbound(session: Session, message_id: int) -> Inbound | None:
    """The inbound message with this id, or None (gone, or not from a customer)."""
    row = session.execute(
        select(col(Message.id), col(Message.conversation_id), col(Conversation.contact_id), col(Message.channel_id),
               col(Channel.kind), col(Message.kind), col(Message.text), col(Contact.locale), col(Contact.custom_fields))
        .join(Conversation, col(Conversation.id) == Message.conversation_id)
        .join(Channel, col(Channel.id) == Message.channel_id)
        .join(Contact, col(Contact.id) == Conversation.contact_id)
        .where(col(Message.id) == message_id, col(Message.direction) == "inbound")).first()
    if row is None:
        return None
    return Inbound(int(row[0]), int(row[1]), int(row[2]), int(row[3]), str(row[4]), str(row[5]), row[6] or "",
                   row[7], dict(row[8] or {}))


def facts_for(session: Session, message: Inbound, ruleset: rules.RuleSet) -> rules.Facts:
    """Everything the rules may look at, read with only the queries these rules need."""
    tags = frozenset[str]()
    team_hours: tuple[rules.Schedule, ...] = ()
    if ruleset.needs_contact_tags:
        tags = frozenset(session.execute(select(col(Tag.name)).join(ContactTag, col(ContactTag.tag_id) == Tag.id)
                                         .where(col(ContactTag.contact_id) == message.contact_id)).scalars())
    if ruleset.needs_hours:
        policies = session.execute(select(TeamPolicy).join(TeamChannel, col(TeamChannel.team_id) == TeamPolicy.team_id)
                                   .where(col(TeamChannel.channel_id) == message.channel_id)).scalars()
        team_hours = tuple(rules.Schedule(p.timezone, p.weekly_hours) for p in policies if p.weekly_hours)
    return rules.Facts(text=message.text, channel_id=message.channel_id, channel_kind=message.channel_kind,
                       locale=message.locale, custom_fields=message.custom_fields, contact_tags=tags,
                       team_hours=team_hours)


def apply_rules(*, session: Session, message: Inbound, now: datetime | None = None) -> list[Applied]:
    """Run every enabled rule on one inbound message; the tags that were new (running again adds none)."""
    ruleset = current_rules(session)
    if not ruleset.size:
        return []
    hits = ruleset.evaluate(facts_for(session, message, ruleset), now or utcnow())
    ids = tag_ids(session, {action.tag for hit in hits for action in hit.actions})
    on_conversation: list[Tagging] = []
    on_contact: list[Tagging] = []
    for hit in hits:
        source = f"rule:{hit.rule_id} {hit.rule_name}"[:SOURCE_LENGTH]
        details = {"rule_id": hit.rule_id, "rule": hit.rule_name, "message_id": message.message_id}
        for action in hit.actions:
            chosen = on_contact if action.type == "tag_contact" else on_conversation
            chosen.append(Tagging(action.tag, ids[action.tag], source, details))
    return (tag_conversation(session=session, conversation_id=message.conversation_id, taggings=on_conversation)
            + tag_contact(session=session, contact_id=message.contact_id, taggings=on_contact,
                          conversation_id=message.conversation_id))


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def tag_ids(session: Session, names: Iterable[str]) -> dict[str, int]:
    """The ids of these tags, creating the missing ones (another worker creating one too is fine)."""
    wanted = sorted(set(names))

    def known() -> dict[str, int]:
        return {str(name): int(tag_id) for tag_id, name in session.execute(
            select(col(Tag.id), col(Tag.name)).where(col(Tag.name).in_(wanted)))} if wanted else {}

    found = known()
    missing = [name for name in wanted if name not in found]
    if missing:
        table, now = _table(Tag), utcnow()
        upsert(session, table, [{"name": name, "color": "#6b7280", "created_at": now} for name in missing],
               key=["name"])
        found = known()
    return found


def _add(session: Session, model: Any, key: str, owner_id: int, taggings: Sequence[Tagging]) -> list[Tagging]:
    """Insert the tags the owner lacks in one statement (the first tagging of a tag wins); the new ones."""
    first: dict[int, Tagging] = {}
    for tagging in taggings:
        first.setdefault(tagging.tag_id, tagging)
    if not first:
        return []
    table, now = _table(model), utcnow()
    rows = [{key: owner_id, "tag_id": tag_id, "source": tagging.source, "created_at": now,
             **source_columns(tagging.source, tagging.details)} for tag_id, tagging in sorted(first.items())]
    added = {int(tag_id) for tag_id in upsert(session, table, rows, key=[key, "tag_id"],
                                              returning=[table.c.tag_id]).scalars()}
    return [tagging for tag_id, tagging in first.items() if tag_id in added]


def tag_conversation(*, session: Session, conversation_id: int, taggings: Sequence[Tagging]) -> list[Applied]:
    """Tag a conversation with the tags it lacks; each new one is audited and shown in the thread's activity."""
    applied = []
    for tagging in _add(session, ConversationTag, "conversation_id", conversation_id, taggings):
        audit.record(session=session, actor_id=None, action="tag.auto", target_type="conversation",
                     target_id=conversation_id, details={"tag": tagging.tag, "source": tagging.source,
                                                         **tagging.details})
        activity.record(session, conversation_id=conversation_id, kind=ActivityKind.tagged, tag=tagging.tag,
                        actor=activity.Actor.of_tagging(tagging.source, tagging.details))
        events.emit(session, events.CONVERSATION_UPDATED, conversation_id=conversation_id, tag=tagging.tag,
                    source=tagging.source)
        applied.append(Applied("conversation", conversation_id, tagging.tag, tagging.source))
    return applied


def tag_contact(*, session: Session, contact_id: int, taggings: Sequence[Tagging],
                conversation_id: int | None = None) -> list[Applied]:
    """Tag a contact with the tags they lack; each new one is audited and announced as a contact update (with the
    tag it `replaces`, when its details name one: a lifecycle cell the contact moved out of)."""
    applied = []
    for tagging in _add(session, ContactTag, "contact_id", contact_id, taggings):
        audit.record(session=session, actor_id=None, action="tag.auto", target_type="contact", target_id=contact_id,
                     details={"tag": tagging.tag, "source": tagging.source, **tagging.details})
        if conversation_id is not None:
            activity.record(session, conversation_id=conversation_id, kind=ActivityKind.contact_tagged,
                            tag=tagging.tag, actor=activity.Actor.of_tagging(tagging.source, tagging.details))
        replaces = {"replaces": tagging.details["replaces"]} if tagging.details.get("replaces") else {}
        events.emit(session, events.CONTACT_UPDATED, contact_id=contact_id, conversation_id=conversation_id,
                    tag=tagging.tag, source=tagging.source, **replaces)
        applied.append(Applied("contact", contact_id, tagging.tag, tagging.source))
    return applied


def contact_tags(*, session: Session, contact_ids: Iterable[int], source: str) -> dict[int, set[str]]:
    """The names of the tags this source put on each of these contacts (contacts without any are left out)."""
    found: dict[int, set[str]] = {}
    rows = session.execute(select(col(ContactTag.contact_id), col(Tag.name))
                           .join(Tag, col(Tag.id) == col(ContactTag.tag_id))
                           .where(col(ContactTag.source) == source, col(ContactTag.contact_id).in_(list(contact_ids))))
    for contact_id, name in rows:
        found.setdefault(int(contact_id), set()).add(str(name))
    return found


def contacts_tagged_by(*, session: Session, source: str) -> set[int]:
    """Every contact that carries a tag this source put on them."""
    return {int(contact_id) for contact_id in session.execute(
        select(col(ContactTag.contact_id)).where(col(ContactTag.source) == source)).scalars()}


def untag_contact(*, session: Session, contact_id: int, tag_ids: Iterable[int], source: str) -> int:
    """Take off a contact the tags this source put there (others' tags of the same name stay); how many."""
    result = session.execute(delete(ContactTag).where(
        col(ContactTag.contact_id) == contact_id, col(ContactTag.source) == source,
        col(ContactTag.tag_id).in_(list(tag_ids))))
    return int(getattr(result, "rowcount", 0) or 0)
