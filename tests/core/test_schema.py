from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hub import composition
from hub.runtime import db
from tests.migrations import sqlite_at


def test_migrations_give_exactly_the_models_schema(backend):
    """The test database was built by `alembic upgrade head`: autogenerate finds nothing to add."""
    with db.get_engine().connect() as conn:
        include = composition.include_object(conn.dialect.name)
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include})
        assert compare_metadata(context, composition.target_metadata()) == []


def test_inbox_thread_and_receipt_lookups_have_indexes():
    tables = composition.target_metadata().tables
    indexed = {
        table: [tuple(c.name for c in index.columns) for index in tables[table].indexes]
        + [tuple(c.name for c in u.columns) for u in tables[table].constraints if hasattr(u, "columns")]
        for table in ("conversation", "message")
    }
    assert ("status", "last_activity_at") in indexed["conversation"]
    assert ("team_id", "status", "last_activity_at") in indexed["conversation"]
    assert ("conversation_id", "id") in indexed["message"]
    assert ("channel_id", "provider_message_id") in indexed["message"]


def test_stripes_events_move_into_the_one_inbox_and_back(tmp_path):
    """Migration 0021 copies stripe_event into webhook_event (provider `stripe`) and keeps every field."""
    from sqlalchemy import text

    with sqlite_at(tmp_path, "0016") as old:
        conn = old.conn
        conn.execute(text("INSERT INTO stripe_event (event_id, type, body, received_at, processed_at, waiting_for, "
                          "attempts, outcome, error) VALUES ('evt_1', 'charge.refunded', x'7b7d', "
                          "'2026-12-01 10:00:00', NULL, 'pi_1', 1, 'waiting', NULL)"))
        conn.execute(text("INSERT INTO webhook_event (provider, channel_id, endpoint, event_id, body, received_at, "
                          "attempts) VALUES ('telegram', 3, '', 'u1', x'7b7d', '2026-12-01 10:00:00', 0)"))
        conn.commit()
        old.upgrade()
        moved = conn.execute(text("SELECT provider, channel_id, endpoint, event_id, waiting_for, attempts, outcome "
                                  "FROM webhook_event ORDER BY id")).all()
        assert [tuple(row) for row in moved] == [("telegram", 3, "", "u1", None, 0, None),
                                                 ("stripe", 0, "charge.refunded", "evt_1", "pi_1", 1, "waiting")]
        old.downgrade("0016")
        back = conn.execute(text("SELECT event_id, type, waiting_for, outcome FROM stripe_event")).all()
        assert [tuple(row) for row in back] == [("evt_1", "charge.refunded", "pi_1", "waiting")]
        assert conn.execute(text("SELECT count(*) FROM webhook_event")).scalar_one() == 1
