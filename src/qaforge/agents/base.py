"""The shape every agent shares: capabilities, `can_handle`, `execute`; the rest is inherited.

Agents never call each other. The orchestrator sends a `Task` (over the bus, or directly in a
sequential driver) and gets a `TaskResult` back; payloads are plain JSON so the same task can
cross a process boundary unchanged.

Inherited defaults: timing and per-agent metrics, retries with exponential backoff and jitter
on transient errors, circuit breakers around outside services (`call_external`), a
`GenerationRecorder` hook for the learning loop, and `start`/`stop` on a bus (heartbeat to the
registry, graceful drain) through `qaforge.agents.service.AgentService`.
"""

from __future__ import annotations

import abc
import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from tenacity import RetryCallState

from qaforge.config import Settings
from qaforge.contracts.envelope import AgentMetrics, Task, TaskResult, new_id
from qaforge.contracts.events import EventSink, RunEvent
from qaforge.contracts.generation import GenerationRecord, GenerationRecorder, NoopRecorder
from qaforge.errors import UserError
from qaforge.logs import RUN_ID
from qaforge.resilience import TRANSIENT, CircuitBreaker, RetryPolicy

if TYPE_CHECKING:
    from qaforge.agents.registry import AgentRegistry
    from qaforge.agents.service import AgentService, ResultStore
    from qaforge.bus.base import MessageBus

log = logging.getLogger(__name__)
T = TypeVar("T")

# Where the events of the task this coroutine works on go (its requester, over the bus); set
# per task by `handle`, so concurrent tasks of one agent each reach their own run.
_SINK: ContextVar[EventSink | None] = ContextVar("qaforge_event_sink", default=None)


class AgentError(Exception):
    """A task failed for a reason worth telling the user (no traceback needed)."""


@dataclass
class BaseAgent(abc.ABC):
    """Base class: subclasses declare `capabilities` and `agent_type` and implement
    `can_handle` and `execute`; timing, metrics, retries, breakers, the generation hook and
    serving on a bus are inherited."""

    settings: Settings
    name: str = ""
    metrics: AgentMetrics = field(default_factory=AgentMetrics)
    agent_id: str = field(default_factory=lambda: new_id("agent-"))

    agent_type: str = "base"

    recorder: GenerationRecorder = field(default_factory=NoopRecorder, repr=False)
    retry: RetryPolicy = field(default_factory=RetryPolicy, repr=False)
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict, repr=False)
    _service: AgentService | None = field(default=None, repr=False, compare=False)
    # Events on their way out (`emit_soon`): held so they are not collected half-sent.
    _emitting: set[asyncio.Future[None]] = field(default_factory=set, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.name:
            self.name = self.agent_type

    # Subclasses declare `capabilities` as a dataclass field with its default.
    @property
    @abc.abstractmethod
    def capabilities(self) -> frozenset[str]:
        """The task types this agent takes."""

    @abc.abstractmethod
    def can_handle(self, task: Task) -> tuple[bool, float]:
        """Whether this agent can take `task`, and how confident it is (0..1): its Contract
        Net bid. `capability_match` is the plain answer."""

    def capability_match(self, task: Task) -> tuple[bool, float]:
        """(True, 1.0) for a task type in `capabilities`, else (False, 0.0)."""
        able = task.type in self.capabilities
        return (able, 1.0 if able else 0.0)

    @abc.abstractmethod
    async def execute(self, task: Task) -> TaskResult:
        """Do the work of `task` and return its result."""

    async def handle(self, task: Task, events: EventSink | None = None) -> TaskResult:
        """Run `execute` with retries, timing, metrics and the generation hook; what it
        `emit`s goes to `events` (the requester's, over the bus), or nowhere.

        `AgentError` fails the task at once; transient errors (`TransientError`, connection
        errors, time-outs) are retried per `self.retry`; anything else propagates (a bug: the
        bus leaves the message pending and dead-letters it after repeated deliveries).
        """
        token = RUN_ID.set(task.run_id or "-")
        sink_token = _SINK.set(events)
        try:
            return await self._handle(task)
        finally:
            await self._sent()
            _SINK.reset(sink_token)
            RUN_ID.reset(token)

    async def _sent(self) -> None:
        # Events still on their way go out before the response (which the caller sends next
        # on the same topic): a subscriber never hears of a task after it ended.
        pending = [t for t in self._emitting if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=5.0)

    async def emit(self, event: RunEvent) -> None:
        """Tell the requester of the current task what happened; never fails the task."""
        sink = _SINK.get()
        if sink is None:
            return
        try:
            await sink(event)
        except Exception:
            log.warning("event %s of run %s was not delivered", event.kind, event.run_id)

    def emit_soon(self, event: RunEvent) -> None:
        """`emit` from code that cannot await (a progress callback inside the crawl)."""
        if _SINK.get() is None:
            return
        task = asyncio.ensure_future(self.emit(event))
        self._emitting.add(task)
        task.add_done_callback(self._emitting.discard)

    async def _handle(self, task: Task) -> TaskResult:
        started_at = datetime.now(UTC)
        start = time.perf_counter()
        attempts = 0

        def on_retry(state: RetryCallState) -> None:
            self.metrics.retries += 1

        try:
            async for attempt in self.retry.retrying(on_retry):
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    result = await self.execute(task)
        except (AgentError, UserError) as exc:
            # The user's to fix (bad input, environment): retrying would not help.
            result = TaskResult(task_id=task.id, agent=self.name, ok=False, error=str(exc))
        except TRANSIENT as exc:
            result = TaskResult(
                task_id=task.id,
                agent=self.name,
                ok=False,
                error=f"gave up after {attempts} attempts: {exc}",
            )
        elapsed = time.perf_counter() - start
        result.duration_s = elapsed
        self.metrics.busy_s += elapsed
        self.metrics.tokens += result.tokens
        if result.ok:
            self.metrics.tasks_done += 1
        else:
            self.metrics.tasks_failed += 1
        await self._record(task, result, started_at)
        return result

    async def _record(self, task: Task, result: TaskResult, started_at: datetime) -> None:
        record = GenerationRecord(
            run_id=task.run_id,
            task_id=task.id,
            task_type=task.type,
            agent=self.name,
            agent_type=self.agent_type,
            ok=result.ok,
            started_at=started_at,
            duration_s=result.duration_s,
            tokens=result.tokens,
            request=task.payload,
            result=result.payload,
            error=result.error,
        )
        try:
            await self.recorder.record(record)
        except Exception:  # the learning loop must never fail a task
            log.exception("generation recorder failed for task %s", task.id)

    def ok(self, task: Task, payload: dict[str, Any], tokens: int = 0) -> TaskResult:
        """A successful result for `task`."""
        return TaskResult(task_id=task.id, agent=self.name, ok=True, payload=payload, tokens=tokens)

    def breaker(self, service: str) -> CircuitBreaker:
        """The circuit breaker guarding calls to `service` (one per service name)."""
        if service not in self.breakers:
            self.breakers[service] = CircuitBreaker(service)
        return self.breakers[service]

    async def call_external(self, service: str, fn: Callable[[], Awaitable[T]]) -> T:
        """Call an outside service through its breaker (an open breaker raises at once)."""
        return await self.breaker(service).call(fn)

    # ----------------------------------------------------------------- running on a bus

    async def start(
        self,
        bus: MessageBus,
        registry: AgentRegistry | None = None,
        *,
        results: ResultStore | None = None,
        concurrency: int = 1,
        heartbeat_s: float = 5.0,
        reclaim_idle_s: float = 30.0,
    ) -> AgentService:
        """Serve tasks for `agent_type` from `bus` until `stop()`."""
        from qaforge.agents.service import AgentService

        self._service = AgentService(
            self,
            bus,
            registry,
            results=results,
            concurrency=concurrency,
            heartbeat_s=heartbeat_s,
            reclaim_idle_s=reclaim_idle_s,
        )
        await self._service.start()
        return self._service

    async def stop(self, drain_timeout_s: float = 30.0) -> None:
        """Stop taking tasks, let those in flight finish (up to the timeout), deregister."""
        if self._service is not None:
            await self._service.stop(drain_timeout_s)
            self._service = None
