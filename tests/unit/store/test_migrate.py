"""Migrations from the packaged scripts, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect

from qaforge.store import migrate
from qaforge.store.base import Base
from qaforge.store.database import sync_url

OURS = {"runs", "audit_log", "agents", "agent_tasks", "working_memory", "agent_metrics",
        "dead_letters", "llm_cache"}


def _tables(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_creates_every_table_of_the_metadata(backend: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    tables = _tables(url)
    import qaforge.store.learning_tables
    import qaforge.store.tables  # noqa: F401
    assert tables >= OURS
    # The migrations cover the whole shared metadata, the learning tables included.
    assert set(Base.metadata.tables) <= tables


def test_ensure_schema_migrates_a_fresh_sqlite_file(sqlite_url: str) -> None:
    assert migrate.current(sqlite_url) is None
    assert migrate.ensure_schema(sqlite_url) == migrate.head()
    assert migrate.ensure_schema(sqlite_url) == migrate.head()  # idempotent


def test_downgrade_to_base_and_back(sqlite_url: str) -> None:
    migrate.upgrade(sqlite_url)
    migrate.downgrade(sqlite_url, "base")
    assert not (OURS & _tables(sqlite_url))
    migrate.upgrade(sqlite_url)
    assert _tables(sqlite_url) >= OURS
