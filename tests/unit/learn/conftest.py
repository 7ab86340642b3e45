"""Fixtures of the learning-loop unit tests: a fresh SQLite database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from qaforge.store.database import Database
from tests.unit.learn.helpers import sqlite_db


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh SQLite file with the learning tables."""
    async for d in sqlite_db(tmp_path / "learn.db"):
        yield d
