"""Make sure the learning tables exist (until Alembic has run, and for fresh test databases)."""

from __future__ import annotations

from qaforge.store import learning_tables as lt
from qaforge.store.base import Base
from qaforge.store.database import Database


async def ensure_tables(db: Database) -> None:
    """Create the learning tables that are missing; a no-op once migrations made them."""
    tables = [Base.metadata.tables[name] for name in lt.LEARNING_TABLES]
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda sync: Base.metadata.create_all(sync, tables=tables))
