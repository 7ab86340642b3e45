"""Make sure the learning tables exist before the learning loop touches the database."""

from __future__ import annotations

import asyncio

from qaforge.store import learning_tables as lt
from qaforge.store.base import Base
from qaforge.store.database import Database


async def ensure_tables(db: Database) -> None:
    """Migrate the database (Alembic, through `qaforge.store.migrate`) so the tables exist.

    Without the migrations package (a trimmed install), the learning tables are created
    directly. A shared PostgreSQL that is behind raises `SchemaError`: `qaforge db upgrade`.
    """
    # Checked once per Database object: the check costs a few catalogue queries.
    if getattr(db, "_learning_tables_ready", False):
        return
    try:
        from qaforge.store.migrate import ensure_schema
    except ImportError:
        from qaforge.store import tables as _shared  # noqa: F401  (audit_log)

        names = [*lt.LEARNING_TABLES, "audit_log"]
        tables = [Base.metadata.tables[name] for name in names]
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda sync: Base.metadata.create_all(sync, tables=tables))
    else:
        await asyncio.to_thread(ensure_schema, db.url)
    db._learning_tables_ready = True  # type: ignore[attr-defined]
