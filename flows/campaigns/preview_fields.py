"""What a marketer's preview may show of a real contact: only the fields the campaign's templates
name, and only for a contact the campaign would send to.

A marketer picks the contact and writes the template, so without these limits a preview could
read any contact's every custom field (`{{ contact.custom }}`) whether or not the campaign reaches
them. The send itself is not limited: a recipient sees only their own values.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from sqlmodel import Session, select

from flows.campaigns.models import Campaign
from flows.campaigns.personalise import ENV, ContactFields
from flows.segments import service as segments
from hub.contacts.models import Contact


@dataclass(frozen=True)
class UsedFields:
    name: bool
    custom: frozenset[str]


def _sources(campaign: Campaign) -> Iterator[str]:
    for variant in campaign.variants or []:
        yield from (str(v) for v in (variant.get("text"), variant.get("media_url")) if v)
        for button in variant.get("buttons") or []:
            yield from (str(v) for v in (button.get("title"), button.get("url")) if v)
    yield from (str(p) for p in (campaign.template or {}).get("params") or [])


def _path(node: nodes.Node) -> list[str] | None:
    """`contact.custom.size` or `contact["custom"]["size"]` as ["contact", "custom", "size"]."""
    parts: list[str] = []
    while True:
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
            node = node.node
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            parts.append(node.arg.value)
            node = node.node
        elif isinstance(node, nodes.Name):
            return [node.name, *reversed(parts)]
        else:
            return None


def used_fields(campaign: Campaign) -> UsedFields:
    """The contact fields the campaign's texts, buttons and template parameters name one by one."""
    name, custom = False, set()
    for source in _sources(campaign):
        try:
            tree = ENV.parse(source)
        except TemplateSyntaxError:
            continue
        for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
            path = _path(node)
            if not path or path[0] != "contact" or len(path) < 2:
                continue
            if path[1] in ("name", "first_name"):
                name = True
            elif path[1] == "custom" and len(path) >= 3:
                custom.add(path[2])
    return UsedFields(name=name, custom=frozenset(custom))


def in_audience(session: Session, campaign: Campaign, contact_id: int, now: datetime) -> bool:
    """Whether the campaign would send to this contact: a member of its segment (everyone without one)."""
    if campaign.segment_id is None:
        return session.get(Contact, contact_id) is not None
    segment = segments.get(session=session, segment_id=campaign.segment_id)
    members = segments.members_query(session, segment, now).subquery()
    query = select(members.c[0]).where(members.c[0] == contact_id).limit(1)
    return session.execute(query).first() is not None


def preview_fields(campaign: Campaign, contact: Contact, coupon: str | None) -> ContactFields:
    """The contact's values that the campaign uses, and nothing else."""
    used = used_fields(campaign)
    custom: dict[str, Any] = {k: v for k, v in (contact.custom_fields or {}).items() if k in used.custom}
    return ContactFields(name=(contact.name or "") if used.name else "", custom=custom, coupon=coupon)

