"""Serving one agent on the bus: consume, execute, store the result, reply, then ack.

The agent reads its type's work queue (shared with every agent of the type) and its own inbox
(Contract Net). A result is stored before the message is acked, and a stored result is never
recomputed, so a message redelivered after its consumer died is finished once. Messages that
fail for good (malformed, expired, delivered too often) go to the dead-letter store with the
reason, and the requester gets an `error` reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError

from qaforge.bus.base import Delivery, MessageBus, stop_loops
from qaforge.bus.messages import RUN_EVENT, Message, MessageType
from qaforge.bus.topics import INBOX_GROUP, inbox_topic, type_topic

if TYPE_CHECKING:
    from qaforge.agents.base import BaseAgent
    from qaforge.agents.registry import AgentRegistry
    from qaforge.contracts.envelope import AgentMetrics, Task, TaskResult
    from qaforge.contracts.events import EventSink, RunEvent

log = logging.getLogger(__name__)


class ResultStore(Protocol):
    """Where task results are kept (the database's `agent_tasks`, or a dict in tests)."""

    async def get(self, task_id: str) -> TaskResult | None:
        """The stored result."""
        ...

    async def put(self, task: Task, result: TaskResult, agent_id: str, agent_type: str) -> bool:
        """Store it; False when one was stored already."""
        ...


class DeadLetterSink(Protocol):
    async def dead_letter(
        self,
        topic: str,
        reason: str,
        raw: str,
        deliveries: int,
        message_id: str | None = None,
        task_id: str | None = None,
    ) -> None: ...

    async def save_metrics(self, agent_id: str, agent_type: str, m: AgentMetrics) -> None: ...


class MemoryResultStore:
    """Results in a dict (one process, no database)."""

    def __init__(self) -> None:
        self.results: dict[str, TaskResult] = {}

    async def get(self, task_id: str) -> TaskResult | None:
        """The stored result."""
        return self.results.get(task_id)

    async def put(self, task: Task, result: TaskResult, agent_id: str, agent_type: str) -> bool:
        """Keep the first result per task id."""
        if task.id in self.results:
            return False
        self.results[task.id] = result
        return True


class AgentService:
    """Runs `agent` on `bus` with `concurrency` tasks at a time."""

    def __init__(
        self,
        agent: BaseAgent,
        bus: MessageBus,
        registry: AgentRegistry | None = None,
        *,
        results: ResultStore | None = None,
        concurrency: int = 1,
        heartbeat_s: float = 5.0,
        reclaim_idle_s: float = 30.0,
    ) -> None:
        self.agent = agent
        self.bus = bus
        self.registry = registry
        self.results: ResultStore = results if results is not None else MemoryResultStore()
        self.concurrency = concurrency
        self.heartbeat_s = heartbeat_s
        self.reclaim_idle_s = reclaim_idle_s
        self.topic = type_topic(agent.agent_type)
        self.inbox = inbox_topic(agent.agent_id)
        self._slots = asyncio.Semaphore(concurrency)
        self._inflight: set[asyncio.Task[None]] = set()
        self._held: dict[asyncio.Task[None], Delivery] = {}
        self._loops: list[asyncio.Task[None]] = []
        self._keepalive: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._closed = asyncio.Event()

    @property
    def load(self) -> float:
        """Share of the slots in use (0..1)."""
        return len(self._inflight) / self.concurrency

    async def start(self) -> None:
        """Register, then start consuming, reclaiming and heartbeating."""
        await self.bus.ensure_group(self.topic, self.agent.agent_type)
        await self.bus.ensure_group(self.inbox, INBOX_GROUP)
        await self._register()
        name = self.agent.agent_id
        self._loops = [
            asyncio.create_task(self._consume_queue(), name=f"{name}-queue"),
            asyncio.create_task(self._consume_inbox(), name=f"{name}-inbox"),
            asyncio.create_task(self._heartbeat_loop(), name=f"{name}-heartbeat"),
        ]
        self._keepalive = asyncio.create_task(self._keepalive_loop(), name=f"{name}-keepalive")

    async def _register(self) -> None:
        if self.registry is not None:
            await self.registry.register(
                self.agent.agent_id, self.agent.agent_type, self.agent.capabilities, self.inbox
            )

    async def stop(self, drain_timeout_s: float = 30.0) -> None:
        """Stop taking work, let in-flight tasks finish (up to the timeout), deregister."""
        self._stopping.set()
        await stop_loops(self._loops, grace_s=2.0)
        if self._inflight:
            _done, pending = await asyncio.wait(set(self._inflight), timeout=drain_timeout_s)
            for t in pending:  # left pending on the bus: another worker reclaims them
                t.cancel()
        self._closed.set()
        if self._keepalive is not None:
            await stop_loops([self._keepalive], grace_s=2.0)
        sink = self._sink()
        if sink is not None:
            with contextlib.suppress(Exception):
                await sink.save_metrics(
                    self.agent.agent_id, self.agent.agent_type, self.agent.metrics
                )
        if self.registry is not None:
            with contextlib.suppress(Exception):
                await self.registry.deregister(self.agent.agent_id)
        with contextlib.suppress(Exception):
            await self.bus.delete_topic(self.inbox)

    def _sink(self) -> DeadLetterSink | None:
        r: Any = self.results
        return r if hasattr(r, "dead_letter") and hasattr(r, "save_metrics") else None

    def _spawn(self, d: Delivery) -> None:
        t = asyncio.create_task(self._process_slot(d))
        self._inflight.add(t)
        self._held[t] = d
        t.add_done_callback(self._inflight.discard)
        t.add_done_callback(lambda done: self._held.pop(done, None))

    async def _keepalive_loop(self) -> None:
        # Touch what we hold three times per reclaim period: a task that takes longer than
        # the period is not handed to another worker while this one is alive.
        # It runs on through the drain in `stop`, until `_closed`.
        period = max(0.05, self.reclaim_idle_s / 3)
        while not self._closed.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), period)
            held = list(self._held.values())
            if held:
                try:
                    await self.bus.touch(held, self.agent.agent_id)
                except Exception:
                    log.exception("keeping %d deliveries alive failed", len(held))

    async def _process_slot(self, d: Delivery) -> None:
        try:
            await self._process(d)
        finally:
            self._slots.release()

    async def _consume_queue(self) -> None:
        # Take a slot before reading so an agent never sits on work it cannot start yet:
        # the other consumers of the group get it instead. Reclaiming runs in the same loop,
        # with the same slot, every `reclaim_idle_s / 2`.
        interval = max(0.1, self.reclaim_idle_s / 2)
        next_reclaim = time.monotonic() + interval
        while not self._stopping.is_set():
            await self._slots.acquire()
            try:
                got: list[Delivery] = []
                if time.monotonic() >= next_reclaim:
                    next_reclaim = time.monotonic() + interval
                    got = await self._reclaim_one()
                if not got:
                    got = await self.bus.receive(
                        self.topic,
                        self.agent.agent_type,
                        self.agent.agent_id,
                        count=1,
                        block_s=min(0.5, interval),
                    )
            except asyncio.CancelledError:
                self._slots.release()
                raise
            except Exception:
                self._slots.release()
                log.exception("receiving from %s failed", self.topic)
                await asyncio.sleep(0.5)
                continue
            if not got:
                self._slots.release()
                continue
            self._spawn(got[0])

    async def _reclaim_one(self) -> list[Delivery]:
        for topic, group in ((self.topic, self.agent.agent_type), (self.inbox, INBOX_GROUP)):
            got = await self.bus.reclaim(
                topic, group, self.agent.agent_id, self.reclaim_idle_s, count=1
            )
            if got:
                log.info("reclaimed %s from %s", got[0].entry_id, topic)
                return got
        return []

    async def _consume_inbox(self) -> None:
        while not self._stopping.is_set():
            try:
                got = await self.bus.receive(
                    self.inbox, INBOX_GROUP, self.agent.agent_id, count=10, block_s=0.5
                )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("receiving from %s failed", self.inbox)
                await asyncio.sleep(0.5)
                continue
            for d in got:
                if d.message is not None and d.message.type is MessageType.EVENT:
                    await self._event(d, d.message)  # bids answer at once, even when busy
                    continue
                await self._slots.acquire()
                self._spawn(d)

    async def _heartbeat_loop(self) -> None:
        beats = 0
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.heartbeat_s)
            if self._stopping.is_set():
                return
            beats += 1
            try:
                if self.registry is not None and not await self.registry.heartbeat(
                    self.agent.agent_id, self.load
                ):
                    await self._register()  # expired while we were busy: come back
                sink = self._sink()
                if sink is not None and beats % 12 == 0:
                    await sink.save_metrics(
                        self.agent.agent_id, self.agent.agent_type, self.agent.metrics
                    )
            except Exception:
                log.exception("heartbeat of %s failed", self.agent.agent_id)

    # ------------------------------------------------------------------ one delivery

    async def _dead(self, d: Delivery, reason: str, task_id: str | None = None) -> None:
        log.warning("dead letter from %s (%s): %s", d.topic, d.entry_id, reason)
        await self.bus.dead_letter(d, reason)
        sink = self._sink()
        if sink is not None:
            with contextlib.suppress(Exception):
                await sink.dead_letter(
                    d.topic,
                    reason,
                    d.raw,
                    d.deliveries,
                    d.message.id if d.message else None,
                    task_id,
                )
        msg = d.message
        if msg is not None and msg.reply_to:
            with contextlib.suppress(Exception):
                await self.bus.publish(
                    msg.reply_to,
                    msg.reply(
                        MessageType.ERROR,
                        {"error": reason, "task_id": task_id, "dead_letter": True},
                        self.agent.agent_id,
                    ),
                )

    async def _process(self, d: Delivery) -> None:
        from qaforge.contracts.envelope import Task, TaskResult

        msg = d.message
        if msg is None:
            await self._dead(d, d.error or "malformed message")
            return
        if msg.type is MessageType.EVENT:
            await self._event(d, msg)
            return
        if msg.expired():
            await self._dead(d, f"expired: TTL {msg.ttl_s}s passed before delivery")
            return
        if msg.type is not MessageType.TASK_REQUEST:
            await self._dead(d, f"unexpected message type {msg.type.value!r} for an agent")
            return
        try:
            task = Task.model_validate(msg.payload.get("task"))
        except ValidationError as exc:
            await self._dead(d, f"malformed task: {str(exc).splitlines()[0]}")
            return
        if d.deliveries > self.bus.max_deliveries:
            await self._dead(
                d, f"delivered {d.deliveries} times without finishing (poisoned?)", task.id
            )
            return
        try:
            result = await self.results.get(task.id)
            if result is None:
                able, _conf = self.agent.can_handle(task)
                if able:
                    result = await self.agent.handle(task, self._sink_for(msg))
                else:
                    result = TaskResult(
                        task_id=task.id,
                        agent=self.agent.name,
                        ok=False,
                        error=f"{self.agent.agent_type} cannot handle task type {task.type!r}",
                    )
                if not await self.results.put(
                    task, result, self.agent.agent_id, self.agent.agent_type
                ):
                    result = await self.results.get(task.id) or result  # the first one wins
            if msg.reply_to:
                await self.bus.publish(
                    msg.reply_to,
                    msg.reply(
                        MessageType.TASK_RESPONSE,
                        {"result": result.model_dump(mode="json")},
                        self.agent.agent_id,
                    ),
                )
            await self.bus.ack(d)  # only now: the result is stored and answered
        except asyncio.CancelledError:
            raise  # left pending: reclaimed by another consumer
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.exception("task %s failed on delivery %d", task.id, d.deliveries)
            if d.deliveries >= self.bus.max_deliveries:
                await self._dead(d, f"failed {d.deliveries} times, last: {reason}", task.id)
            # else: stays pending and is redelivered by reclaim after its idle time

    def _sink_for(self, msg: Message) -> EventSink | None:
        """Where the events of `msg`'s task go: the requester's reply topic, ahead of the
        response (one topic keeps them in order)."""
        reply_to = msg.reply_to
        if not reply_to:
            return None

        async def send(event: RunEvent) -> None:
            body = {"kind": RUN_EVENT, "event": event.model_dump(mode="json")}
            await self.bus.publish(
                reply_to, msg.reply(MessageType.EVENT, body, self.agent.agent_id)
            )

        return send

    async def _event(self, d: Delivery, msg: Message) -> None:
        from qaforge.contracts.envelope import Task

        kind = msg.payload.get("kind")
        if kind == "cfp" and msg.reply_to and not msg.expired():
            try:
                task = Task.model_validate(msg.payload.get("task"))
            except ValidationError:
                await self._dead(d, "malformed call for proposals")
                return
            able, confidence = self.agent.can_handle(task)
            if able and not self._stopping.is_set():
                body: dict[str, Any] = {
                    "kind": "bid",
                    "agent_id": self.agent.agent_id,
                    "inbox": self.inbox,
                    "confidence": confidence,
                    "est_s": self.agent.metrics.mean_task_s(),
                    "load": self.load,
                }
            else:
                body = {"kind": "refuse", "agent_id": self.agent.agent_id}
            await self.bus.publish(
                msg.reply_to, msg.reply(MessageType.EVENT, body, self.agent.agent_id)
            )
        # "reject" and anything else informational: nothing to do but ack
        await self.bus.ack(d)
