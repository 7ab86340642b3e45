"""Processes starting together on an empty PostgreSQL database: one migrates, the others wait."""

from __future__ import annotations

import threading

import psycopg
import pytest

from qaforge.store import migrate

pytestmark = [pytest.mark.services]


def test_a_process_waits_while_another_migrates(pg_fresh_url: str) -> None:
    """The race it closes: read "no revision", the other commits, then see its tables."""

    result: list[str] = []
    with psycopg.connect(pg_fresh_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (migrate.MIGRATION_LOCK,))
        t = threading.Thread(target=lambda: result.append(migrate.ensure_schema(pg_fresh_url)))
        t.start()
        t.join(2)
        assert t.is_alive() and not result  # waiting for the one migrating
        migrate.upgrade(pg_fresh_url)
        other.execute("SELECT pg_advisory_unlock(%s)", (migrate.MIGRATION_LOCK,))
        t.join(30)
    assert result == [migrate.head()]
