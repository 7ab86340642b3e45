"""Contract Net over the bus: announce, bid, award, reject the others; no bid is an error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from qaforge.agents.base import BaseAgent, Task
from qaforge.agents.registry import AgentRegistry
from qaforge.bus import MessageBus, open_bus
from qaforge.bus.rpc import RpcClient
from qaforge.config import Settings
from qaforge.orchestrate.contract_net import NoBidError, allocate
from qaforge.orchestrate.dispatch import Dispatcher
from qaforge.store.database import Database
from qaforge.store.migrate import upgrade
from qaforge.store.tasks import TaskStore
from tests.system.fakes import FakeAnalysis, invocations


@pytest.fixture(params=["memory", "redis"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[MessageBus]:
    url = "memory://" if request.param == "memory" else request.getfixturevalue("redis_url")
    b = open_bus(url)
    yield b
    await b.close()


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    upgrade(sqlite_url)
    d = Database(sqlite_url)
    yield d
    await d.dispose()


async def _agents(
    bus: MessageBus, db: Database, home: Path, specs: list[tuple[float, bool]]
) -> list[BaseAgent]:
    agents: list[BaseAgent] = []
    for confidence, refuse in specs:
        a = FakeAnalysis(Settings(home=home), confidence=confidence, refuse=refuse)
        await a.start(bus, AgentRegistry(db), results=TaskStore(db), heartbeat_s=0.5)
        agents.append(a)
    return agents


def _task(tmp_path: Path) -> Task:
    path = tmp_path / "run" / "scenarios.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[{"id": "a"}, {"id": "b"}]')
    return Task(type="analyze", payload={"scenarios_path": str(path), "model_path": "", "app": "x"})


async def test_award_goes_to_the_best_bid_and_only_it_works(
    bus: MessageBus, db: Database, tmp_path: Path
) -> None:
    low, high, refuser = await _agents(bus, db, tmp_path, [(0.4, False), (0.9, False), (1.0, True)])
    rpc = RpcClient(bus, "orch")
    await rpc.start()
    try:
        registry = AgentRegistry(db)
        candidates = await registry.find("analyze")
        assert len(candidates) == 3
        award = await allocate(rpc, _task(tmp_path), candidates, window_s=5)
        assert award.winner.agent_id == high.agent_id
        assert {b.agent_id for b in award.bids} == {low.agent_id, high.agent_id}
        assert award.refused == (refuser.agent_id,)

        # Through the dispatcher the task runs on the winner, once.
        result = await Dispatcher(rpc, registry, TaskStore(db), bid_window_s=5).call(
            _task(tmp_path), "analysis"
        )
        assert result.ok and result.agent == high.name
        assert high.metrics.tasks_done == 1 and low.metrics.tasks_done == 0
        assert invocations(tmp_path / "run") == ["analyze", "analyze:done"]
    finally:
        await rpc.close()
        for a in (low, high, refuser):
            await a.stop(1)


async def test_nobody_bids_is_a_clear_error(bus: MessageBus, db: Database, tmp_path: Path) -> None:
    agents = await _agents(bus, db, tmp_path, [(1.0, True), (1.0, True)])
    rpc = RpcClient(bus, "orch")
    await rpc.start()
    try:
        candidates = await AgentRegistry(db).find("analyze")
        t0 = asyncio.get_running_loop().time()
        with pytest.raises(NoBidError, match=r"no agent bid for task .* \(analyze\) within 1.0s \(2 refused"):
            await allocate(rpc, _task(tmp_path), candidates, window_s=1.0)
        # Both refused at once: no need to wait for the deadline.
        assert asyncio.get_running_loop().time() - t0 < 1.0
    finally:
        await rpc.close()
        for a in agents:
            await a.stop(1)


async def test_silent_candidates_time_out_at_the_deadline(bus: MessageBus, tmp_path: Path, db: Database) -> None:
    from qaforge.agents.registry import AgentInfo
    from qaforge.store.times import now

    ghost = AgentInfo("ghost", "analysis", frozenset({"analyze"}), "inbox.ghost", 0, "", 0, now())
    rpc = RpcClient(bus, "orch")
    await rpc.start()
    try:
        with pytest.raises(NoBidError, match="no answer; asked ghost"):
            await allocate(rpc, _task(tmp_path), [ghost], window_s=0.3)
    finally:
        await rpc.close()


async def test_silence_is_not_refusal_the_task_goes_to_the_type_queue(
    bus: MessageBus, db: Database, tmp_path: Path
) -> None:
    # A window no agent can answer in: the live agents are too busy, not unwilling, so the
    # dispatcher hands the task to their type's queue instead of failing the run.
    agents = await _agents(bus, db, tmp_path, [(0.5, False), (0.9, False)])
    rpc = RpcClient(bus, "orch")
    await rpc.start()
    try:
        result = await Dispatcher(rpc, AgentRegistry(db), TaskStore(db), bid_window_s=0.001).call(
            _task(tmp_path), "analysis"
        )
        assert result.ok
        assert sum(a.metrics.tasks_done for a in agents) == 1
        assert invocations(tmp_path / "run") == ["analyze", "analyze:done"]
    finally:
        await rpc.close()
        for a in agents:
            await a.stop(1)


async def test_refusal_by_everyone_still_fails_the_dispatch(
    bus: MessageBus, db: Database, tmp_path: Path
) -> None:
    agents = await _agents(bus, db, tmp_path, [(1.0, True), (1.0, True)])
    rpc = RpcClient(bus, "orch")
    await rpc.start()
    try:
        with pytest.raises(NoBidError, match="2 refused"):
            await Dispatcher(rpc, AgentRegistry(db), TaskStore(db), bid_window_s=2.0).call(
                _task(tmp_path), "analysis"
            )
    finally:
        await rpc.close()
        for a in agents:
            await a.stop(1)
