"""Processes starting together on an empty PostgreSQL database: one migrates, none refuses."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import psycopg
import pytest

from qaforge.store import migrate

pytestmark = [pytest.mark.services]

# Each process imports qaforge (a second or more), then all reach ensure_schema together.
SCRIPT = """
import sys, time
from qaforge.store.migrate import ensure_schema
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
print(ensure_schema(sys.argv[1]))
"""


def test_processes_starting_together_on_an_empty_database_all_start(pg_fresh_url: str) -> None:
    start = time.time() + 4
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, pg_fresh_url, str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
        assert out.strip() == migrate.head()
    assert migrate.current(pg_fresh_url) == migrate.head()


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
