"""An agent served on the bus: results stored before ack, once per task id; poison and
malformed messages end in the dead-letter store with the reason."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from qaforge.agents.base import BaseAgent
from qaforge.agents.registry import AgentRegistry
from qaforge.bus import MessageBus, open_bus
from qaforge.bus.messages import Message, MessageType
from qaforge.bus.rpc import RpcClient
from qaforge.bus.topics import type_topic
from qaforge.config import Settings
from qaforge.contracts.envelope import Task, TaskResult
from qaforge.contracts.events import EVENT_ADAPTER, RunEvent, StageStarted, TestFinished
from qaforge.store.database import Database
from qaforge.store.migrate import upgrade
from qaforge.store.tasks import TaskStore
from tests.system.fakes import FakeExecution, invocations


@pytest.fixture(params=["memory", "redis"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[MessageBus]:
    url = "memory://" if request.param == "memory" else request.getfixturevalue("redis_url")
    b = open_bus(url)
    b.max_deliveries = 3
    yield b
    await b.close()


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    upgrade(sqlite_url)
    d = Database(sqlite_url)
    yield d
    await d.dispose()


def _suite(out: Path) -> str:
    path = out / "tests" / "suite.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"tests": {"test_a": "s1"}}')
    return str(path)


def _request(rpc: RpcClient, task: Task) -> Message:
    return Message(
        sender=rpc.name,
        receiver="execution",
        type=MessageType.TASK_REQUEST,
        payload={"task": task.model_dump(mode="json")},
    )


async def test_task_round_trip_is_stored_and_not_redone(
    bus: MessageBus, db: Database, tmp_path: Path
) -> None:
    store = TaskStore(db)
    agent = FakeExecution(Settings(home=tmp_path))
    await agent.start(bus, AgentRegistry(db), results=store, heartbeat_s=0.2, reclaim_idle_s=0.5)
    rpc = RpcClient(bus, "t")
    await rpc.start()
    try:
        out = tmp_path / "run"
        task = Task(id="run-x:execute:0", type="execute",
                    payload={"suite_path": _suite(out), "base_url": "http://x", "out_dir": str(out)})
        first = await rpc.request(type_topic("execution"), _request(rpc, task), 20)
        again = await rpc.request(type_topic("execution"), _request(rpc, task), 20)
        assert first.type is MessageType.TASK_RESPONSE
        assert first.payload == again.payload
        assert invocations(out).count("execute") == 1  # the second request used the stored result
        assert await store.count("") == 1
        assert await bus.pending(type_topic("execution"), "execution") == 0
    finally:
        await rpc.close()
        await agent.stop(1)


async def test_poisoned_task_ends_in_dead_letters_after_n_deliveries(
    bus: MessageBus, db: Database, tmp_path: Path
) -> None:
    store = TaskStore(db)
    agent = FakeExecution(Settings(home=tmp_path))
    await agent.start(bus, AgentRegistry(db), results=store, heartbeat_s=0.2, reclaim_idle_s=0.2)
    rpc = RpcClient(bus, "t")
    await rpc.start()
    try:
        out = tmp_path / "run"
        suite = _suite(out)
        (out / "poison").write_text("1")
        task = Task(id="poison-1", type="execute",
                    payload={"suite_path": suite, "base_url": "http://x", "out_dir": str(out)})
        reply = await rpc.request(type_topic("execution"), _request(rpc, task), 30)
        assert reply.type is MessageType.ERROR
        assert "failed 3 times, last: RuntimeError: poisoned task" in reply.payload["error"]
        assert invocations(out).count("execute") == 3
        [dl] = await bus.dead_letters(type_topic("execution"))
        assert "poisoned task" in dl.reason and dl.deliveries == 3
        [row] = await store.dead_letters()
        assert row["task_id"] == "poison-1" and "poisoned task" in row["reason"]
        assert await store.get("poison-1") is None
    finally:
        await rpc.close()
        await agent.stop(1)


async def test_malformed_and_expired_messages_are_dead_lettered(
    bus: MessageBus, db: Database, tmp_path: Path
) -> None:
    agent = FakeExecution(Settings(home=tmp_path))
    await agent.start(bus, AgentRegistry(db), results=TaskStore(db), heartbeat_s=0.2)
    try:
        topic = type_topic("execution")
        await bus.publish_raw(topic, '{"sender": "x"}')
        await bus.publish(
            topic,
            Message(
                sender="x",
                receiver="execution",
                type=MessageType.TASK_REQUEST,
                ttl_s=0.001,
                payload={"task": Task(type="execute").model_dump(mode="json")},
            ),
        )
        import asyncio

        for _ in range(100):
            letters = await bus.dead_letters(topic)
            if len(letters) == 2:
                break
            await asyncio.sleep(0.05)
        reasons = sorted(dl.reason for dl in letters)
        assert reasons[0].startswith("expired: TTL")
        assert reasons[1].startswith("malformed")
    finally:
        await agent.stop(1)


async def test_graceful_stop_drains_the_task_in_flight(
    bus: MessageBus, db: Database, tmp_path: Path
) -> None:
    agent = FakeExecution(Settings(home=tmp_path))
    reg = AgentRegistry(db)
    await agent.start(bus, reg, results=TaskStore(db), heartbeat_s=0.2)
    assert [a.id for a in await reg.find("execute")] == [agent.agent_id]
    rpc = RpcClient(bus, "t")
    await rpc.start()
    out = tmp_path / "run"
    suite = _suite(out)
    (out / "delay").write_text("0.5")
    task = Task(type="execute", payload={"suite_path": suite, "base_url": "x", "out_dir": str(out)})
    req = _request(rpc, task)
    fut = rpc.expect(req)
    await rpc.send(type_topic("execution"), req)
    import asyncio

    while "execute" not in invocations(out):
        await asyncio.sleep(0.02)
    await agent.stop(drain_timeout_s=10)  # waits for the task, then deregisters
    reply = await asyncio.wait_for(fut, 5)
    assert reply.type is MessageType.TASK_RESPONSE
    assert invocations(out) == ["execute", "execute:done"]
    assert await reg.find("execute") == []
    await rpc.close()


async def test_a_long_task_on_a_live_agent_is_not_reclaimed(
    bus: MessageBus, db: Database, tmp_path: Path
) -> None:
    """The task takes several reclaim periods; the live holder keeps it, the idle one waits."""
    store = TaskStore(db)
    busy = FakeExecution(Settings(home=tmp_path))
    # Reclaim after 4 heartbeats (production: 6), so a loaded machine's late heartbeat is not
    # mistaken for a dead holder.
    await busy.start(bus, AgentRegistry(db), results=store, heartbeat_s=0.2, reclaim_idle_s=0.8)
    rpc = RpcClient(bus, "t")
    await rpc.start()
    other = FakeExecution(Settings(home=tmp_path))
    try:
        out = tmp_path / "run"
        (out / "tests").mkdir(parents=True)
        (out / "delay").write_text("3.2")  # 4 reclaim periods
        task = Task(id="run-y:execute:0", type="execute",
                    payload={"suite_path": _suite_in(out), "base_url": "http://x", "out_dir": str(out)})
        waiting = asyncio.ensure_future(rpc.request(type_topic("execution"), _request(rpc, task), 30))
        while "execute" not in invocations(out):
            await asyncio.sleep(0.05)
        # A second, idle agent of the same type arrives while the first one works.
        await other.start(bus, AgentRegistry(db), results=store, heartbeat_s=0.2, reclaim_idle_s=0.8)
        reply = await waiting
        assert reply.type is MessageType.TASK_RESPONSE
        assert invocations(out) == ["execute", "execute:done"]
        assert other.metrics.tasks_done == 0 and busy.metrics.tasks_done == 1
    finally:
        await rpc.close()
        await other.stop(1)
        await busy.stop(1)


def _suite_in(out: Path) -> str:
    path = out / "tests" / "suite.json"
    path.write_text('{"tests": {"test_a": "s1"}}')
    return str(path)


@dataclass
class _Talker(BaseAgent):
    """Emits two events while it works: one awaited, one from code that cannot await."""

    capabilities: frozenset[str] = frozenset({"talk"})
    agent_type: str = "talker"

    def can_handle(self, task: Task) -> tuple[bool, float]:
        return self.capability_match(task)

    async def execute(self, task: Task) -> TaskResult:
        self.emit_soon(StageStarted(run_id=task.run_id, stage="from-a-callback"))
        await self.emit(
            TestFinished(run_id=task.run_id, test_id=f"test_{task.id}", outcome="passed")
        )
        await asyncio.sleep(0.05)
        return self.ok(task, {"said": 2})


async def test_events_an_agent_emits_reach_its_requester_before_the_response(
    bus: MessageBus, tmp_path: Path
) -> None:
    agent = _Talker(Settings(home=tmp_path))
    await agent.start(bus, heartbeat_s=0.2, reclaim_idle_s=0.5)
    rpc = RpcClient(bus, "asker")
    heard: list[tuple[str, str, bool]] = []
    pending: dict[str, asyncio.Future[Message]] = {}

    def on_event(msg: Message) -> None:
        event = EVENT_ADAPTER.validate_python(msg.payload["event"])
        # Whether the response to the task this event belongs to had already come.
        answered = any(f.done() for f in pending.values())
        heard.append((event.kind, event.run_id, answered))

    rpc.on_event = on_event
    await rpc.start()
    try:
        task = Task(id="t1", type="talk", run_id="run-talk")
        request = Message(
            sender=rpc.name, receiver="talker", type=MessageType.TASK_REQUEST,
            payload={"task": task.model_dump(mode="json")},
        )
        pending["t1"] = rpc.expect(request)
        await rpc.send(type_topic("talker"), request)
        reply = await asyncio.wait_for(pending["t1"], 20)
        # The response is the result, not one of the events sent in reply to the same request.
        assert reply.type is MessageType.TASK_RESPONSE
        assert reply.payload["result"]["payload"] == {"said": 2}
        assert sorted(heard) == [
            ("stage-started", "run-talk", False),
            ("test-finished", "run-talk", False),
        ]
    finally:
        await rpc.close()
        await agent.stop(1)


async def test_emit_outside_a_bus_task_goes_nowhere_and_fails_nothing(tmp_path: Path) -> None:
    agent = _Talker(Settings(home=tmp_path))
    result = await agent.handle(Task(id="t2", type="talk", run_id="run-quiet"))
    assert result.ok and result.payload == {"said": 2}

    async def broken(event: RunEvent) -> None:
        raise ConnectionError("bus gone")

    again = await agent.handle(Task(id="t3", type="talk", run_id="run-quiet"), broken)
    assert again.ok  # an event that cannot be delivered never fails the task
