"""The Alembic migrations build exactly the schema the code declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from beffroi.storage import schema


def test_migrated_database_matches_the_declared_schema(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, schema.metadata)
    # Alembic's own bookkeeping table is not part of the declared schema.
    assert [d for d in differences if "alembic_version" not in repr(d)] == []
