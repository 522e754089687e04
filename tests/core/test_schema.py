from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hub import composition, db, search


def test_migrations_give_exactly_the_models_schema(backend):
    """The test database was built by `alembic upgrade head`: autogenerate finds nothing to add."""
    with db.get_engine().connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": search.include_object})
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
