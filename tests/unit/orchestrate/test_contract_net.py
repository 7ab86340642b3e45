"""Contract Net over the bus: announce, bid, award, reject the others; no bid is an error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from qaforge.agents.base import BaseAgent
from qaforge.agents.registry import AgentInfo, AgentRegistry
from qaforge.bus import MessageBus, open_bus
from qaforge.bus.rpc import RpcClient
from qaforge.config import Settings
from qaforge.contracts.envelope import Task
from qaforge.orchestrate.contract_net import NoBidError, allocate
from qaforge.orchestrate.dispatch import Dispatcher, DispatchError
from qaforge.store.database import Database
from qaforge.store.migrate import upgrade
from qaforge.store.tasks import TaskStore
from qaforge.store.times import now
from tests.system.fakes import FakeAnalysis, invocations

# (confidence of its bid, whether it refuses) per analysis agent.
StartAgents = Callable[[list[tuple[float, bool]]], Awaitable[list[BaseAgent]]]


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


@pytest.fixture
async def rpc(bus: MessageBus) -> AsyncIterator[RpcClient]:
    client = RpcClient(bus, "orch")
    await client.start()
    yield client
    await client.close()


@pytest.fixture
async def start_agents(bus: MessageBus, db: Database, tmp_path: Path) -> AsyncIterator[StartAgents]:
    started: list[BaseAgent] = []

    async def start(specs: list[tuple[float, bool]]) -> list[BaseAgent]:
        agents: list[BaseAgent] = []
        for confidence, refuse in specs:
            a = FakeAnalysis(Settings(home=tmp_path), confidence=confidence, refuse=refuse)
            await a.start(bus, AgentRegistry(db), results=TaskStore(db), heartbeat_s=0.5)
            agents.append(a)
        started.extend(agents)
        return agents

    yield start
    for a in started:
        await a.stop(1)


def _task(tmp_path: Path) -> Task:
    path = tmp_path / "run" / "scenarios.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[{"id": "a"}, {"id": "b"}]')
    return Task(type="analyze", payload={"scenarios_path": str(path), "model_path": "", "app": "x"})


async def test_award_goes_to_the_best_bid_and_only_it_works(
    rpc: RpcClient, db: Database, start_agents: StartAgents, tmp_path: Path
) -> None:
    low, high, refuser = await start_agents([(0.4, False), (0.9, False), (1.0, True)])
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


async def test_nobody_bids_is_a_clear_error(
    rpc: RpcClient, db: Database, start_agents: StartAgents, tmp_path: Path
) -> None:
    await start_agents([(1.0, True), (1.0, True)])
    candidates = await AgentRegistry(db).find("analyze")
    t0 = asyncio.get_running_loop().time()
    expected = r"no agent bid for task .* \(analyze\) within 1.0s \(2 refused"
    with pytest.raises(NoBidError, match=expected):
        await allocate(rpc, _task(tmp_path), candidates, window_s=1.0)
    # Both refused at once: no need to wait for the deadline.
    assert asyncio.get_running_loop().time() - t0 < 1.0


async def test_silent_candidates_time_out_at_the_deadline(rpc: RpcClient, tmp_path: Path) -> None:
    ghost = AgentInfo("ghost", "analysis", frozenset({"analyze"}), "inbox.ghost", 0, "", 0, now())
    with pytest.raises(NoBidError, match="no answer; asked ghost"):
        await allocate(rpc, _task(tmp_path), [ghost], window_s=0.3)


async def test_silence_is_not_refusal_the_task_goes_to_the_type_queue(
    rpc: RpcClient, db: Database, start_agents: StartAgents, tmp_path: Path
) -> None:
    # A window no agent can answer in: the live agents are too busy, not unwilling, so the
    # dispatcher hands the task to their type's queue instead of failing the run.
    agents = await start_agents([(0.5, False), (0.9, False)])
    result = await Dispatcher(rpc, AgentRegistry(db), TaskStore(db), bid_window_s=0.001).call(
        _task(tmp_path), "analysis"
    )
    assert result.ok
    assert sum(a.metrics.tasks_done for a in agents) == 1
    assert invocations(tmp_path / "run") == ["analyze", "analyze:done"]


async def test_refusal_by_everyone_still_fails_the_dispatch(
    rpc: RpcClient, db: Database, start_agents: StartAgents, tmp_path: Path
) -> None:
    await start_agents([(1.0, True), (1.0, True)])
    with pytest.raises(NoBidError, match="2 refused"):
        await Dispatcher(rpc, AgentRegistry(db), TaskStore(db), bid_window_s=2.0).call(
            _task(tmp_path), "analysis"
        )


async def test_a_queued_task_whose_last_agent_is_gone_fails_and_says_what_to_do(
    rpc: RpcClient, db: Database, tmp_path: Path
) -> None:
    # Registered, fresh, but nobody reads the queue: the task waits there while it lives.
    registry = AgentRegistry(db, stale_after_s=0.5)
    await registry.register("lone", "analysis", frozenset({"analyze"}), "inbox.lone")
    dispatcher = Dispatcher(
        rpc, registry, TaskStore(db), contract_net=False, agent_wait_s=0.5, check_s=0.1
    )
    call = asyncio.create_task(dispatcher.call(_task(tmp_path), "analysis"))
    await asyncio.sleep(1.0)
    assert not call.done()  # a live agent of the type may still take it
    await registry.deregister("lone")
    with pytest.raises(DispatchError, match=r"no live agent is left .* --agent analysis"):
        await asyncio.wait_for(call, 10)
