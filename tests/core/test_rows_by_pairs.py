"""`db.rows_by_pairs`: the rows whose two-column key is one of the asked pairs, on SQLite and PostgreSQL."""

from hub.contacts.models import ChannelIdentity, Contact
from hub.conversations.models import Conversation
from hub.runtime import db


def _identities(session, count: int) -> None:  # type: ignore[no-untyped-def]
    contacts = [Contact(name=f"客人 {n}") for n in range(count)]
    session.add_all(contacts)
    session.flush()  # one flush for all of them: a flush per contact was most of the test's time
    for n, contact in enumerate(contacts):
        session.add(ChannelIdentity(contact_id=contact.id, kind="whatsapp", value=f"+852{n:08d}"))
        session.add(ChannelIdentity(contact_id=contact.id, kind="telegram", value=f"{n}"))


def test_only_the_asked_pairs_come_back(backend):
    with db.session_scope() as session:
        _identities(session, 3)
    table = ChannelIdentity.__table__  # type: ignore[attr-defined]
    with db.session_scope() as session:
        # whatsapp/1 and telegram/0 exist, as do whatsapp/0 and telegram/1 (the cross product): not asked
        rows = db.rows_by_pairs(session, table, "kind", "value",
                                [("whatsapp", "+85200000001"), ("telegram", "0"), ("telegram", "no such")],
                                ("kind", "value", "contact_id"))
    assert sorted((row.kind, row.value) for row in rows) == [("telegram", "0"), ("whatsapp", "+85200000001")]


def test_more_pairs_than_one_statement_takes(backend):
    with db.session_scope() as session:
        _identities(session, 620)
        contact_ids = [row.contact_id for row in session.query(ChannelIdentity).filter_by(kind="whatsapp")]
        channel_id = _channel(session)
        session.add_all(Conversation(contact_id=cid, channel_id=channel_id, status="open") for cid in contact_ids)
    table = Conversation.__table__  # type: ignore[attr-defined]
    with db.session_scope() as session:
        channel_id = _channel(session)
        asked = [(cid, channel_id) for cid in contact_ids] + [(cid, channel_id + 1) for cid in contact_ids[:5]]
        rows = db.rows_by_pairs(session, table, "contact_id", "channel_id", asked, ("id", "contact_id"))
    assert sorted(row.contact_id for row in rows) == sorted(contact_ids)
    assert db.rows_by_pairs(session, table, "contact_id", "channel_id", [], ("id",)) == []


def _channel(session) -> int:  # type: ignore[no-untyped-def]
    from hub.channel_records.models import Channel

    channel = session.query(Channel).first()
    if channel is None:
        channel = Channel(kind="webchat", name="site", config={})
        session.add(channel)
        session.flush()
    return int(channel.id)
