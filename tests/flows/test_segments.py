"""Segments: every condition compiled to SQL selects exactly the contacts Python picks by hand, on both backends."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from catalog import behaviour
from catalog.models import Order
from flows.segments import service
from flows.segments.compile import compile as compile_segment
from flows.segments.definition import SegmentError, parse
from hub.audit.models import AuditEntry
from hub.channel_records.models import Channel
from hub.composition import create_app
from hub.contacts.models import ChannelIdentity, Consent, Contact
from hub.conversations.models import Conversation
from hub.runtime.db import session_scope, utcnow
from hub.tags.models import ContactTag, Tag
from tests.factories import make_user, token_for

EVIL = "x'); DROP TABLE contact;--"
NAMES = ["陳大文", "鈴木花子", "Alice Wong", "李小龍", "佐藤健", "Bob"]
LOCALES = [None, "ja", "JA-jp", "zh_Hant", "zh-HK", "zh-Hant-TW", "en", "en_US", "jam"]
TAGS = ["VIP", "wholesale", "退貨", EVIL]
KINDS = ["whatsapp", "whatsapp_user", "sms", "telegram", "webchat"]
CITIES = ["香港", "東京", "大阪", "Hong Kong", None, "missing"]
NOTES = ["VIP客戶", "not a vip yet", "普通", "100% 真_的", "missing"]
ORDER_DAYS = [0, 5, 29, 30.5, 31, 60, 89, 90.9, 91, 200]


@dataclass
class Person:
    id: int = 0
    locale: str | None = None
    tags: set[str] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)
    fields: dict[str, Any] = field(default_factory=dict)
    consent: dict[int, str] = field(default_factory=dict)  # channel -> the newest record's status
    channels: set[int] = field(default_factory=set)  # conversations or consent records
    last_inbound: datetime | None = None
    orders: list[tuple[str, str, int, datetime]] = field(default_factory=list)  # status, currency, total, paid_at

    def paid(self, currency: str | None = None) -> list[tuple[str, str, int, datetime]]:
        return [o for o in self.orders if o[0] == "paid" and currency in (None, o[1])]

    def text(self, name: str) -> str | None:
        value = self.fields.get(name)
        return None if value is None else ("true" if value else "false") if isinstance(value, bool) else str(value)

    def days(self, moment: datetime | None, now: datetime) -> int | None:
        return None if moment is None else (now - moment).days

    def cell(self, now: datetime) -> str | None:
        paid = self.paid()
        if not paid:
            return None
        name = behaviour.cell(len(paid), (now - max(o[3] for o in paid)).days, behaviour.BehaviourSettings())
        return name.removeprefix(behaviour.LIFECYCLE) if name else None


@dataclass
class World:
    now: datetime
    wa: int
    sms: int
    tg: int
    people: list[Person]

    def expected(self, wanted: Callable[[Person], bool]) -> set[int]:
        return {p.id for p in self.people if wanted(p)}


def _build(rng: random.Random) -> World:
    now = utcnow()
    with session_scope() as session:
        channels = [Channel(kind=kind, name=kind, config={}) for kind in ("whatsapp", "sms", "telegram")]
        tags = [Tag(name=name) for name in [*TAGS, behaviour.CELLS[0]]]
        session.add_all([*channels, *tags])
        session.flush()
        channel_ids = [c.id or 0 for c in channels]
        tag_ids = {t.name: t.id or 0 for t in tags}
        people = [_person(session, rng, i, now, channel_ids, tag_ids) for i in range(40)]
        # a stale behaviour tag: lifecycle conditions read orders, not tags
        session.add(ContactTag(contact_id=people[0].id, tag_id=tag_ids[behaviour.CELLS[0]], source="behaviour"))
    return World(now, *channel_ids, people=people)


def _person(session: Any, rng: random.Random, i: int, now: datetime, channel_ids: list[int],
            tag_ids: dict[str, int]) -> Person:
    person = Person(locale=LOCALES[i % len(LOCALES)], tags=set(rng.sample(TAGS, rng.randint(0, 2))),
                    kinds=set(rng.sample(KINDS, rng.randint(0, 3))))
    city, note = rng.choice(CITIES), rng.choice(NOTES)
    if city != "missing":
        person.fields["city"] = city
    if note != "missing":
        person.fields["note"] = note
    if i % 3 == 0:
        person.fields["member_no"] = rng.choice([42, "42", 7, 4.5])
    if i % 4 == 1:
        person.fields["newsletter"] = rng.choice([True, False, "true"])
    if i % 7 == 2:
        person.fields[EVIL] = EVIL
    contact = Contact(name=NAMES[i % len(NAMES)], locale=person.locale, custom_fields=person.fields)
    session.add(contact)
    session.flush()
    person.id = contact.id or 0
    session.add_all([ChannelIdentity(contact_id=person.id, kind=kind, value=f"{kind}-{i}") for kind in person.kinds])
    session.add_all([ContactTag(contact_id=person.id, tag_id=tag_ids[name]) for name in person.tags])
    for channel_id in channel_ids[:2]:  # consent histories on WhatsApp and SMS, e.g. opt-in then opt-out
        moment = now - timedelta(days=rng.randint(50, 100))
        for _ in range(rng.randint(0, 3)):
            moment += timedelta(days=rng.choice([0, 3]))  # 0: a tie on created_at, the later record wins
            status = rng.choice(["opted_in", "opted_out"])
            session.add(Consent(contact_id=person.id, channel_id=channel_id, status=status, source="test",
                                created_at=moment))
            session.flush()
            person.consent[channel_id] = status
            person.channels.add(channel_id)
    for channel_id in rng.sample(channel_ids, rng.randint(0, 2)):
        inbound = rng.choice([None, now - timedelta(days=rng.choice([1, 29, 30.5, 31, 60, 91, 300]))])
        session.add(Conversation(contact_id=person.id, channel_id=channel_id, last_inbound_at=inbound))
        person.channels.add(channel_id)
        if inbound and (person.last_inbound is None or inbound > person.last_inbound):
            person.last_inbound = inbound
    latest = rng.choice(ORDER_DAYS)  # days since the newest order: every lifecycle cell gets members
    for n in range(rng.choice([0, 0, 1, 1, 2, 3, 4, 6])):
        status = rng.choice(["paid"] * 5 + ["refunded", "pending"])
        days = latest + (0 if n == 0 else rng.choice([0, 10, 40, 100]))
        currency, paid_at = rng.choice(["HKD", "HKD", "JPY"]), now - timedelta(days=days)
        total = rng.choice([9900, 25000, 60000])
        session.add(Order(number=f"S{i}-{n}", contact_id=person.id, currency=currency, total_minor=total, status=status,
                          paid_at=paid_at, created_at=paid_at))
        person.orders.append((status, currency, total, paid_at))
    return person


@pytest.fixture
def world(backend: Any) -> World:
    return _build(random.Random(7))


def _cases(w: World) -> list[tuple[dict[str, Any], Callable[[Person], bool]]]:
    def within(moment: datetime | None, days: int) -> bool:
        return moment is not None and (w.now - moment).days <= days

    def last_paid(p: Person, currency: str | None = None) -> datetime | None:
        return max((o[3] for o in p.paid(currency)), default=None)

    def locale(p: Person, prefix: str) -> bool:
        value = (p.locale or "").lower().replace("-", "_")
        return value == prefix or value.startswith(prefix + "_")

    return [
        ({"tag": "VIP"}, lambda p: "VIP" in p.tags),
        ({"tag_in": ["wholesale", "退貨"]}, lambda p: bool(p.tags & {"wholesale", "退貨"})),
        ({"tag": EVIL}, lambda p: EVIL in p.tags),
        ({"has_channel": "whatsapp"}, lambda p: bool(p.kinds & {"whatsapp", "whatsapp_user"})),
        ({"has_channel": "sms"}, lambda p: "sms" in p.kinds),
        ({"has_channel": "webchat"}, lambda p: "webchat" in p.kinds),
        ({"channel_id": w.tg}, lambda p: w.tg in p.channels),
        ({"channel_id": w.wa}, lambda p: w.wa in p.channels),
        ({"field": "city", "op": "eq", "value": "香港"}, lambda p: p.text("city") == "香港"),
        ({"field": "city", "op": "ne", "value": "香港"}, lambda p: p.text("city") != "香港"),
        ({"field": "city", "op": "in", "value": ["東京", "大阪"]}, lambda p: p.text("city") in {"東京", "大阪"}),
        ({"field": "city", "op": "exists"}, lambda p: p.text("city") is not None),
        ({"field": "note", "op": "contains", "value": "VIP"}, lambda p: "vip" in (p.text("note") or "").lower()),
        ({"field": "note", "op": "contains", "value": "0% 真_"}, lambda p: "0% 真_" in (p.text("note") or "")),
        ({"field": "member_no", "op": "eq", "value": 42}, lambda p: p.text("member_no") == "42"),
        ({"field": "member_no", "op": "in", "value": [4.5, "7"]}, lambda p: p.text("member_no") in {"4.5", "7"}),
        ({"field": "newsletter", "value": True}, lambda p: p.text("newsletter") == "true"),
        ({"field": EVIL, "op": "eq", "value": EVIL}, lambda p: p.text(EVIL) == EVIL),
        ({"consent": "opted_in", "channel_id": w.wa}, lambda p: p.consent.get(w.wa) == "opted_in"),
        ({"consent": "not_opted_out", "channel_id": w.sms}, lambda p: p.consent.get(w.sms) != "opted_out"),
        ({"consent": "opted_in"}, lambda p: "opted_in" in p.consent.values()),
        ({"consent": "not_opted_out"}, lambda p: "opted_out" not in p.consent.values()),
        ({"locale": ["ja"]}, lambda p: locale(p, "ja")),
        ({"locale": ["zh", "en_us"]}, lambda p: locale(p, "zh") or locale(p, "en_us")),
        ({"locale": ["zh-Hant"]}, lambda p: locale(p, "zh_hant")),
        ({"last_inbound": {"within_days": 30}}, lambda p: within(p.last_inbound, 30)),
        ({"last_inbound": {"not_within_days": 90}}, lambda p: not within(p.last_inbound, 90)),
        ({"last_inbound": {"within_days": 90, "not_within_days": 30}},
         lambda p: within(p.last_inbound, 90) and not within(p.last_inbound, 30)),
        ({"orders": {"count_gte": 2}}, lambda p: len(p.paid()) >= 2),
        ({"orders": {"count_lte": 1}}, lambda p: len(p.paid()) <= 1),
        ({"orders": {"count_gte": 2, "count_lte": 3}}, lambda p: 2 <= len(p.paid()) <= 3),
        ({"orders": {"total_gte": 50000, "currency": "HKD"}}, lambda p: sum(o[2] for o in p.paid("HKD")) >= 50000),
        ({"orders": {"total_lte": 30000, "currency": "JPY"}}, lambda p: sum(o[2] for o in p.paid("JPY")) <= 30000),
        ({"orders": {"count_gte": 1, "currency": "JPY"}}, lambda p: bool(p.paid("JPY"))),
        ({"orders": {"last_within_days": 30}}, lambda p: within(last_paid(p), 30)),
        ({"orders": {"last_before_days": 90}}, lambda p: last_paid(p) is not None and not within(last_paid(p), 90)),
        ({"orders": {"last_within_days": 30, "currency": "HKD"}}, lambda p: within(last_paid(p, "HKD"), 30)),
        ({"lifecycle": ["new active", "lifecycle: loyal sleeping"]},
         lambda p: p.cell(w.now) in {"new active", "loyal sleeping"}),
        ({"all": [{"any": [{"tag": "VIP"}, {"orders": {"count_gte": 3}}]},
                  {"not": {"consent": "opted_in", "channel_id": w.wa}}]},
         lambda p: ("VIP" in p.tags or len(p.paid()) >= 3) and p.consent.get(w.wa) != "opted_in"),
        ({"any": [{"field": "city", "op": "eq", "value": "東京"},
                  {"all": [{"locale": ["zh"]}, {"has_channel": "sms"}]}]},
         lambda p: p.text("city") == "東京" or (locale(p, "zh") and "sms" in p.kinds)),
        ({"not": {"not": {"lifecycle": ["repeat sleeping"]}}}, lambda p: p.cell(w.now) == "repeat sleeping"),
        ({"all": []}, lambda p: True),
        ({"any": []}, lambda p: False),
    ]


def test_every_condition_selects_what_python_selects(world: World) -> None:
    wrong = []
    with session_scope() as session:
        for definition, wanted in _cases(world):
            query = service.members_query(session, definition, world.now)
            found = set(session.execute(query).scalars())
            expected = world.expected(wanted)
            if found != expected or service.count(session, definition, world.now) != len(expected):
                wrong.append(f"{definition}: sql {sorted(found)} python {sorted(expected)}")
    assert not wrong, "\n".join(wrong)
    assert any(world.expected(w) for _, w in _cases(world)[:-1])  # the population is not degenerate


def test_each_lifecycle_cell_matches_behaviour_cell(world: World) -> None:
    cells = {p.id: p.cell(world.now) for p in world.people}
    assert len({c for c in cells.values() if c}) >= 7, cells
    with session_scope() as session:
        for name in behaviour.CELLS:
            cell = name.removeprefix(behaviour.LIFECYCLE)
            found = set(session.execute(service.members_query(session, {"lifecycle": [cell]}, world.now)).scalars())
            assert found == {i for i, c in cells.items() if c == cell}, cell


def test_values_are_bound_parameters_never_sql(world: World) -> None:
    definition = {"all": [{"field": EVIL, "op": "contains", "value": EVIL}, {"tag_in": [EVIL, "香港"]},
                          {"locale": [EVIL]}]}
    with session_scope() as session:
        query = compile_segment(session, definition, world.now)
        sql = str(query.compile(dialect=session.get_bind().dialect))
        assert "DROP" not in sql and "香港" not in sql
        session.execute(query).all()
        assert service.count(session, {"field": EVIL, "op": "exists"}, world.now) == sum(
            1 for p in world.people if EVIL in p.fields)
    with session_scope() as session:
        assert session.execute(select(func.count()).select_from(Contact)).scalar_one() == 40


def test_preview_shows_members_with_identities_and_tags(world: World) -> None:
    definition = {"has_channel": "whatsapp"}
    expected = world.expected(lambda p: bool(p.kinds & {"whatsapp", "whatsapp_user"}))
    with session_scope() as session:
        members = service.preview(session, definition, world.now, limit=5)
    assert [m.id for m in members] == sorted(expected, reverse=True)[:5]
    people = {p.id: p for p in world.people}
    for member in members:
        assert {i.kind for i in member.identities} == people[member.id].kinds
        assert set(member.tags) == people[member.id].tags | ({behaviour.CELLS[0]} if member.id == world.people[0].id
                                                             else set())


@pytest.mark.parametrize(("definition", "says"), [
    ({"colour": "red"}, "definition: unknown key 'colour'; a condition is one of tag"),
    ({"all": {"tag": "VIP"}}, "definition.all: expected a list of conditions"),
    ({"all": [{"tag": "VIP"}], "any": []}, "a group has exactly one key"),
    ({"any": [{"tag": 3}]}, "definition.any[0].tag: expected a non-empty text"),
    ({"has_channel": "fax"}, "'fax' is not one of whatsapp, sms, telegram, webchat"),
    ({"field": "city", "op": "like", "value": "香%"}, "op 'like' is not one of eq, ne, in, contains, exists"),
    ({"field": "city", "op": "in", "value": "香港"}, "op 'in' needs a list"),
    ({"field": "city", "op": "eq"}, "op 'eq' needs a value"),
    ({"field": "city", "op": "eq", "value": {"a": 1}}, "needs one text, number or true/false"),
    ({"field": "city", "op": "exists", "value": 1}, "op 'exists' takes no value"),
    ({"field": 'a"b', "op": "exists"}, "cannot contain a double quote"),
    ({"consent": "maybe"}, "'maybe' is not one of opted_in, not_opted_out"),
    ({"consent": "opted_in", "channel_id": "1"}, "expected a channel id"),
    ({"tag": "VIP", "channel_id": 1}, "definition.tag: unknown key 'channel_id'"),
    ({"locale": "ja"}, "definition.locale: expected a non-empty list of texts"),
    ({"last_inbound": {"within": 3}}, "unknown key 'within'"),
    ({"last_inbound": {"within_days": True}}, "expected a whole number"),
    ({"orders": {"count_gt": 2}}, "unknown key 'count_gt'"),
    ({"orders": {"currency": "HKD"}}, "at least one of count_gte"),
    ({"orders": {"total_gte": 100}}, "a total needs a currency"),
    ({"orders": {"count_gte": -1}}, "expected a whole number from 0"),
    ({"orders": {"count_gte": 1, "currency": "hkd"}}, "three-letter code"),
    ({"lifecycle": ["vip"]}, "'vip' is not a lifecycle cell"),
    ({"not": {"not": {"not": {"not": {"not": {"not": {"not": {"not": {"not": {"tag": "x"}}}}}}}}}}, "nest more than"),
    ([{"tag": "VIP"}], "expected an object"),
])
def test_invalid_definitions_say_why(definition: Any, says: str) -> None:
    with pytest.raises(SegmentError) as error:
        parse(definition)
    assert says in str(error.value)


@pytest.fixture
def client(backend: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    make_user("mika@shop.test", role="marketer")
    make_user("ann@shop.test")
    make_user("boss@shop.test", role="admin")
    with TestClient(create_app()) as test_client:
        yield test_client


def test_marketers_save_and_preview_segments(client: Any) -> None:
    world = _build(random.Random(11))
    marketer, agent = token_for(client, "mika@shop.test"), token_for(client, "ann@shop.test")
    body = {"name": "香港 VIP", "definition": {"all": [{"tag": "VIP"}, {"consent": "not_opted_out"}]}}
    expected = world.expected(lambda p: "VIP" in p.tags and "opted_out" not in p.consent.values())
    for method, path in [("get", ""), ("post", ""), ("post", "/preview"), ("get", "/1"), ("delete", "/1")]:
        answer = client.request(method, f"/api/v1/segments{path}", json=body if method == "post" else None,
                                headers=agent)
        assert answer.status_code == 403, (method, path)
    preview = client.post("/api/v1/segments/preview", json={"definition": body["definition"], "limit": 3},
                          headers=marketer).json()
    assert preview["count"] == len(expected) and len(preview["members"]) == min(3, len(expected))
    assert {"id", "name", "locale", "identities", "tags"} <= set(preview["members"][0])
    created = client.post("/api/v1/segments", json=body, headers=marketer)
    assert created.status_code == 201, created.text
    segment = created.json()
    assert client.post("/api/v1/segments", json=body, headers=marketer).status_code == 409
    path = f"/api/v1/segments/{segment['id']}"
    assert client.get(f"{path}/preview", headers=marketer).json()["count"] == len(expected)
    changed = client.patch(path, json={"definition": {"tag": "VIP"}}, headers=marketer).json()
    assert changed["name"] == "香港 VIP" and changed["definition"] == {"tag": "VIP"}
    assert [s["name"] for s in client.get("/api/v1/segments", headers=marketer).json()] == ["香港 VIP"]
    admin = token_for(client, "boss@shop.test")
    vips = world.expected(lambda p: "VIP" in p.tags)
    assert client.get(f"{path}/preview", headers=admin).json()["count"] == len(vips)
    assert client.delete(path, headers=marketer).status_code == 204
    assert client.get(path, headers=marketer).status_code == 404
    with session_scope() as session:
        actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-3:] == ["segment.created", "segment.updated", "segment.deleted"]


def test_bad_definitions_are_422_with_the_reason(client: Any) -> None:
    marketer = token_for(client, "mika@shop.test")
    bad = {"any": [{"orders": {"count_gt": 2}}]}
    for path, body in [("/api/v1/segments", {"name": "x", "definition": bad}),
                       ("/api/v1/segments/preview", {"definition": bad})]:
        answer = client.post(path, json=body, headers=marketer)
        assert answer.status_code == 422
        assert "definition.any[0].orders: unknown key 'count_gt'" in answer.json()["detail"]
    ok = {"name": "ok", "definition": {"tag": "VIP"}}
    created = client.post("/api/v1/segments", json=ok, headers=marketer).json()
    answer = client.patch(f"/api/v1/segments/{created['id']}", json={"definition": {"lifecycle": ["sleepy"]}},
                          headers=marketer)
    assert answer.status_code == 422 and "'sleepy' is not a lifecycle cell" in answer.json()["detail"]
