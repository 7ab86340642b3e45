"""The agent registry on SQLite and PostgreSQL: register, heartbeat, find, expire."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import update

from qaforge.agents.registry import AgentRegistry
from qaforge.store.database import Database
from qaforge.store.migrate import upgrade
from qaforge.store.tables import AgentRow
from qaforge.store.times import now


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    upgrade(url)
    d = Database(url)
    async with d.session() as s:  # the PostgreSQL database is shared by the session
        from sqlalchemy import delete

        await s.execute(delete(AgentRow))
    yield d
    await d.dispose()


async def _age(db: Database, agent_id: str, seconds: float) -> None:
    async with db.session() as s:
        await s.execute(
            update(AgentRow)
            .where(AgentRow.id == agent_id)
            .values(heartbeat_at=now() - timedelta(seconds=seconds))
        )


async def test_find_by_capability_least_loaded_first(db: Database) -> None:
    reg = AgentRegistry(db, stale_after_s=30)
    await reg.register("a1", "execution", frozenset({"execute", "heal"}), "inbox.a1")
    await reg.register("a2", "execution", frozenset({"execute", "heal"}), "inbox.a2")
    await reg.register("o1", "observation", frozenset({"observe"}))
    await reg.heartbeat("a1", load=0.75)
    found = await reg.find("heal")
    assert [a.id for a in found] == ["a2", "a1"]
    assert found[1].load == 0.75 and found[0].inbox == "inbox.a2"
    assert [a.id for a in await reg.find("observe")] == ["o1"]
    assert await reg.find("report") == []


async def test_stale_agents_do_not_count_and_expire(db: Database) -> None:
    reg = AgentRegistry(db, stale_after_s=30)
    await reg.register("live", "analysis", frozenset({"analyze"}))
    await reg.register("dead", "analysis", frozenset({"analyze"}))
    await _age(db, "dead", 31)
    assert [a.id for a in await reg.find("analyze")] == ["live"]
    assert not await reg.alive("dead") and await reg.alive("live")
    assert await reg.expire() == ["dead"]
    assert await reg.get("dead") is None
    # A heartbeat from an expired agent says so, so it can register again.
    assert not await reg.heartbeat("dead")


async def test_deregister(db: Database) -> None:
    reg = AgentRegistry(db)
    await reg.register("x", "reporting", frozenset({"report"}))
    await reg.deregister("x")
    assert await reg.find() == []


async def test_an_agent_whose_process_on_this_host_is_gone_is_not_found(db: Database) -> None:
    import subprocess
    import sys

    reg = AgentRegistry(db, stale_after_s=30)
    for agent_id in ("dead", "elsewhere", "here"):
        await reg.register(agent_id, "execution", frozenset({"execute"}))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # reaped: its pid no longer exists
    async with db.session() as s:
        await s.execute(update(AgentRow).where(AgentRow.id == "dead").values(pid=gone.pid))
        # Another host's process cannot be seen from here: its heartbeat decides.
        await s.execute(
            update(AgentRow)
            .where(AgentRow.id == "elsewhere")
            .values(host="another-host", pid=gone.pid)
        )
    found = {a.id for a in await reg.find("execute")}
    assert found == {"elsewhere", "here"}
    assert not await reg.alive("dead")
    assert await reg.alive("elsewhere") and await reg.alive("here")
