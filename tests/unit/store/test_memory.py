"""Working memory (DB, with expiry) and short-term memory (TTL dict, Redis)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import update

from qaforge.store.database import Database
from qaforge.store.migrate import upgrade
from qaforge.store.shortterm import RedisMemory, ShortTermMemory, TTLDict, open_shortterm
from qaforge.store.tables import WorkingMemoryRow
from qaforge.store.times import now
from qaforge.store.working import WorkingMemory


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    upgrade(sqlite_url)
    d = Database(sqlite_url)
    yield d
    await d.dispose()


async def test_working_memory_put_get_expire(db: Database) -> None:
    wm = WorkingMemory(db, "run-1")
    await wm.put("stage", {"name": "observe"})
    await wm.put("cursor", 3, ttl_s=60)
    assert await wm.get("stage") == {"name": "observe"}
    assert await wm.keys() == ["cursor", "stage"]
    # Age the entry past its expiry instead of sleeping.
    async with db.session() as s:
        await s.execute(
            update(WorkingMemoryRow)
            .where(WorkingMemoryRow.key == "cursor")
            .values(expires_at=now() - timedelta(seconds=1))
        )
    assert await wm.get("cursor", "gone") == "gone"
    assert await wm.keys() == ["stage"]
    assert await wm.purge() == 1
    assert await WorkingMemory(db, "run-2").get("stage") is None  # namespaces are apart
    await wm.put("stage", "report")
    assert await wm.get("stage") == "report"
    await wm.delete("stage")
    assert await wm.keys() == []


async def test_ttl_dict_expires_on_its_clock() -> None:
    t = [0.0]
    m = TTLDict(clock=lambda: t[0])
    await m.set("a", [1, 2], ttl_s=5)
    await m.set("b", "forever")
    assert await m.get("a") == [1, 2]
    t[0] = 5.0
    assert await m.get("a") is None
    assert await m.keys() == ["b"]


@pytest.fixture(params=["memory", "redis"])
async def stm(request: pytest.FixtureRequest) -> AsyncIterator[ShortTermMemory]:
    if request.param == "memory":
        m: ShortTermMemory = open_shortterm("memory://")
    else:
        url = request.getfixturevalue("redis_url")
        prefix = url.split("prefix=")[1]
        m = open_shortterm(url.split("?")[0], prefix=prefix)
        assert isinstance(m, RedisMemory)
    yield m
    await m.close()


async def test_short_term_memory_backends_agree(stm: ShortTermMemory) -> None:
    await stm.set("ctx", {"stage": "execute", "round": 1}, ttl_s=0.2)
    await stm.set("keep", 1)
    assert await stm.get("ctx") == {"stage": "execute", "round": 1}
    assert await stm.keys() == ["ctx", "keep"]
    await asyncio.sleep(0.35)  # real expiry on the backend's own clock
    assert await stm.get("ctx", "expired") == "expired"
    assert await stm.keys() == ["keep"]
    await stm.delete("keep")
    assert await stm.keys() == []
