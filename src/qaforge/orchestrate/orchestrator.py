"""The Orchestration agent: drives runs through the graph, owns the workflow state machine,
allocates tasks (work queue or Contract Net), watches for cancellation and stalls.

One `Orchestrator` serves any number of concurrent runs in a process; `qaforge run`, `resume`
and `cancel` each open one. With the in-process bus it also starts one agent of each type from
the catalog; with Redis the agents are `qaforge worker` processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from qaforge.agents.base import AgentError, BaseAgent
from qaforge.agents.catalog import Catalog
from qaforge.agents.registry import AgentRegistry
from qaforge.bus import MessageBus, open_bus
from qaforge.bus.messages import Message, check_no_secrets
from qaforge.bus.rpc import RpcClient
from qaforge.config import Settings
from qaforge.contracts.envelope import Task, TaskResult, new_id
from qaforge.contracts.events import (
    EventHub,
    RunFailed,
    RunFinished,
    RunStarted,
    agent_event,
)
from qaforge.errors import UserError
from qaforge.logs import RUN_ID
from qaforge.orchestrate.checkpoint import checkpoint_url, open_checkpointer
from qaforge.orchestrate.contract_net import NoBidError
from qaforge.orchestrate.dispatch import Dispatcher, DispatchError
from qaforge.orchestrate.graph import (
    PipelineError,
    PipelineState,
    RunContext,
    build_graph,
    finish_summary,
)
from qaforge.orchestrate.request import RunOutcome, RunRequest
from qaforge.orchestrate.runs import ResumeRefused, RunInfo, RunStore
from qaforge.orchestrate.states import RunState
from qaforge.store.database import Database
from qaforge.store.migrate import ensure_schema
from qaforge.store.tasks import TaskStore
from qaforge.store.times import now

log = logging.getLogger(__name__)


class RunCancelled(UserError):
    """The run was cancelled (by `qaforge cancel`) while this process drove it."""


@dataclass
class OrchestrationOptions:
    """Timings and allocation; defaults suit real runs, tests shrink them."""

    heartbeat_s: float = 5.0
    stale_after_s: float = 30.0  # a run owner / agent silent this long is dead
    # `qaforge resume --stale-after`: how long the owner of a RUNNING run must have been
    # silent before another process takes it over (None: `stale_after_s`).
    owner_stale_after_s: float | None = None
    stall_timeout_s: float | None = 1800.0  # no stage finished for this long: restart
    max_stall_restarts: int = 2
    contract_net: bool = True
    bid_window_s: float = 2.0
    agent_wait_s: float = 15.0
    local_agents: bool | None = None  # None: yes on the in-process bus, no on Redis
    agents_per_type: int = 1
    agent_concurrency: int = 4
    reclaim_idle_s: float = 30.0
    drain_timeout_s: float = 10.0


class Orchestrator:
    """Drives runs; use `Orchestrator.open(settings)` as an async context manager."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        bus: MessageBus,
        catalog: Catalog,
        saver: BaseCheckpointSaver[str],
        options: OrchestrationOptions,
        events: EventHub | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.bus = bus
        self.catalog = catalog
        self.saver = saver
        self.options = options
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{new_id()}"
        self.runs = RunStore(db)
        self.results = TaskStore(db)
        self.registry = AgentRegistry(db, stale_after_s=options.stale_after_s)
        self.rpc = RpcClient(bus, f"orchestrator-{new_id()}")
        self.rpc.on_event = self._agent_event
        self.dispatcher = Dispatcher(
            self.rpc,
            self.registry,
            self.results,
            contract_net=options.contract_net,
            bid_window_s=options.bid_window_s,
            agent_wait_s=options.agent_wait_s,
            check_s=max(0.2, min(2.0, options.heartbeat_s)),
        )
        self.local: list[BaseAgent] = []
        # What happens in its runs; the learning loop records each finished one.
        self.events = events if events is not None else EventHub()
        # Unsubscribed when the orchestrator closes: a hub the caller keeps for the next
        # orchestrator must not record that one's runs through this one's database.
        self._unsubscribe_learning = self.events.subscribe(self._learn, RunFinished)

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        settings: Settings,
        *,
        bus_url: str | None = None,
        catalog: str | None = None,
        options: OrchestrationOptions | None = None,
        resume_of: str | None = None,
        bus: MessageBus | None = None,
        events: EventHub | None = None,
    ) -> AsyncIterator[Orchestrator]:
        """Migrate (when safe), connect the database, bus and checkpointer, start local agents."""
        opts = options or OrchestrationOptions()
        url = settings.database_url
        assert url is not None
        await asyncio.to_thread(ensure_schema, url)
        db = Database(url)
        try:
            if resume_of is not None:  # use the catalog and bus the run started with
                info = await RunStore(db).get(resume_of)
                catalog = catalog or info.options.get("catalog")
                bus_url = bus_url or info.options.get("bus_url")
            own_bus = bus is None
            the_bus = bus or open_bus(bus_url or settings.bus_url)
            try:
                await the_bus.ping()
                async with open_checkpointer(checkpoint_url(settings)) as saver:
                    orch = cls(settings, db, the_bus, Catalog.load(catalog), saver, opts, events)
                    await orch.rpc.start()
                    try:
                        await orch._start_local_agents()
                        yield orch
                    finally:
                        orch._unsubscribe_learning()
                        await orch._stop_local_agents()
                        await orch.rpc.close()
            finally:
                if own_bus:
                    await the_bus.close()
        finally:
            await db.dispose()

    async def _start_local_agents(self) -> None:
        local = self.options.local_agents
        if local is None:
            local = self.bus.url.startswith("memory:")
        if not local:
            return
        for agent_type in self.catalog.types:
            for _ in range(self.options.agents_per_type):
                agent = self.catalog.make(agent_type, self.settings)
                await agent.start(
                    self.bus,
                    self.registry,
                    results=self.results,
                    concurrency=self.options.agent_concurrency,
                    heartbeat_s=self.options.heartbeat_s,
                    reclaim_idle_s=self.options.reclaim_idle_s,
                )
                self.local.append(agent)

    def _agent_event(self, msg: Message) -> None:
        """A run event an agent sent while working on one of this orchestrator's tasks."""
        event = agent_event(msg.payload.get("event"))
        if event is None:
            log.warning("agent %s sent an event that is malformed or not its to tell", msg.sender)
            return
        self.events.emit_soon(event)

    async def _learn(self, event: RunFinished) -> None:
        from qaforge.learn.driver import finish_run

        await finish_run(self.settings, event.run_id, event.summary, db=self.db)  # never raises

    async def _stop_local_agents(self) -> None:
        # Together: each may wait up to the drain timeout for its work in flight.
        await asyncio.gather(
            *(agent.stop(self.options.drain_timeout_s) for agent in self.local),
            return_exceptions=True,
        )
        self.local.clear()

    # ------------------------------------------------------------------ public operations

    async def run(self, request: RunRequest) -> RunOutcome:
        """Start a new run and drive it to the end."""
        run_id = request.run_id or new_id("run-")
        request = await self._with_strategy(request.model_copy(update={"run_id": run_id}))
        dumped = request.model_dump(mode="json")
        check_no_secrets(dumped, "request")
        await self.runs.create(
            run_id,
            dumped,
            app=request.app,
            out_dir=request.out_dir,
            options={"catalog": self.catalog.spec, "bus_url": self.bus.url},
            actor=self.owner,
        )
        await self.runs.transition(
            run_id,
            RunState.RUNNING,
            actor=self.owner,
            action="start",
            owner=self.owner,
            heartbeat_at=now(),
            progress_at=now(),
        )
        return await self._drive(run_id, request, {"run_id": run_id}, resumed=False)

    async def _with_strategy(self, request: RunRequest) -> RunRequest:
        """Settle the generation strategy once, before the run starts (a resume reuses it)."""
        if request.existing_suite:
            return request
        from qaforge.learn.driver import strategy_for_run

        if request.strategy_params is not None:  # a full definition was given: use it as is
            return request
        choice = await strategy_for_run(
            self.settings, request.app, requested=request.strategy, db=self.db
        )
        return request.model_copy(
            update={
                "strategy": choice.name,
                "strategy_params": choice.parameters or None,
                "variant_id": choice.variant_id,
                "experiment_id": choice.experiment_id,
                "patterns_applied": list(choice.patterns_applied),
                "strategy_method": choice.method,
            }
        )

    async def resume(self, run_id: str) -> RunOutcome:
        """Continue a run from its last checkpoint (architecture.md §6 says when that is legal)."""
        stale = self.options.owner_stale_after_s
        info = await self.runs.check_resumable(
            run_id, self.options.stale_after_s if stale is None else stale
        )
        missing = missing_credentials(RunRequest.model_validate(info.request))
        if missing:
            # Credentials are never stored (DESIGN §7): without them the run would go on
            # logged out and every test behind the login would fail.
            raise ResumeRefused(
                f"run {run_id} logs in to its app: set {' and '.join(missing)} (credentials "
                "are never stored), then resume it again"
            )
        if info.state is RunState.RUNNING:
            await self.runs.transition(
                run_id,
                RunState.PENDING,
                actor=self.owner,
                action="interrupted",
                detail={"previous_owner": info.owner, "last_heartbeat": str(info.heartbeat_at)},
                expect=RunState.RUNNING,
            )
        elif info.state in (RunState.FAILED, RunState.CANCELLED):
            await self.runs.transition(
                run_id,
                RunState.PENDING,
                actor=self.owner,
                action="retry" if info.state is RunState.FAILED else "resume",
                expect=info.state,
                error=None,
            )
        await self.runs.transition(
            run_id,
            RunState.RUNNING,
            actor=self.owner,
            action="resume",
            owner=self.owner,
            attempt=info.attempt + 1,
            heartbeat_at=now(),
            progress_at=now(),
        )
        request = RunRequest.model_validate(info.request)
        snapshot = await self.saver.aget_tuple({"configurable": {"thread_id": run_id}})
        start: PipelineState | None = None if snapshot is not None else {"run_id": run_id}
        return await self._drive(run_id, request, start, resumed=True)

    async def cancel(self, run_id: str, actor: str = "") -> RunInfo:
        """Cancel a pending or running run; its driver notices at its next heartbeat."""
        return await self.runs.transition(
            run_id, RunState.CANCELLED, actor=actor or self.owner, action="cancel"
        )

    # ------------------------------------------------------------------ driving

    async def _call(self, task: Task, agent_type: str) -> TaskResult:
        try:
            return await self.dispatcher.call(task, agent_type)
        except (DispatchError, NoBidError) as exc:
            raise PipelineError(f"{task.type}: {exc}") from exc

    async def _drive(
        self, run_id: str, request: RunRequest, start: PipelineState | None, *, resumed: bool
    ) -> RunOutcome:
        # This task's log lines and those of the tasks it starts name the run, until it ends.
        token = RUN_ID.set(run_id)
        try:
            return await self._drive_graph(run_id, request, start, resumed)
        finally:
            RUN_ID.reset(token)

    async def _drive_graph(
        self, run_id: str, request: RunRequest, start: PipelineState | None, resumed: bool
    ) -> RunOutcome:
        async def progress(stage: str) -> None:
            await self.runs.progress(run_id, stage)

        target = request.base_url or request.observe.target.url
        await self.events.emit(RunStarted(run_id=run_id, target=target, resumed=resumed))
        ctx = RunContext(run_id, request, self._call, progress, self.events)
        graph = build_graph(ctx).compile(checkpointer=self.saver)
        config: Any = {"configurable": {"thread_id": run_id}, "recursion_limit": 64}
        stalls = 0
        inp: PipelineState | None = start
        while True:
            job = asyncio.create_task(graph.ainvoke(inp, config))
            watcher = asyncio.create_task(self._watch(run_id, job))
            try:
                final = await job
            except asyncio.CancelledError:
                me = asyncio.current_task()
                if me is not None and me.cancelling():
                    # We ourselves are being cancelled (a server draining): go at once, not
                    # after the watcher's next heartbeat.
                    watcher.cancel()
                    raise
                reason = await watcher
                if reason is None:  # we ourselves are being cancelled
                    raise
                if reason == "cancelled":
                    raise RunCancelled(f"run {run_id} was cancelled") from None
                stalls += 1
                if stalls > self.options.max_stall_restarts:
                    await self._fail(run_id, f"stalled {stalls} times; giving up")
                    error = f"stalled {stalls} times"
                    await self.events.emit(RunFailed(run_id=run_id, error=error))
                    raise PipelineError(f"run {run_id} stalled {stalls} times") from None
                await self._restart_stalled(run_id, stalls)
                inp = None  # continue from the last checkpoint
                continue
            except (PipelineError, AgentError) as exc:
                await self._fail(run_id, str(exc))
                await self.events.emit(RunFailed(run_id=run_id, error=str(exc)))
                raise PipelineError(str(exc)) from exc
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                await self._fail(run_id, error)
                await self.events.emit(RunFailed(run_id=run_id, error=error))
                raise
            finally:
                if not watcher.done():
                    watcher.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await watcher
            break
        outcome = finish_summary(run_id, dict(final))
        # The record first: whoever hears that the run finished (a live stream's client)
        # finds it COMPLETED when it looks.
        await self.runs.transition(
            run_id,
            RunState.COMPLETED,
            actor=self.owner,
            action="complete",
            exit_code=outcome.exit_code,
            summary_path=outcome.summary_path,
            stage="done",
        )
        await self.events.emit(
            RunFinished(
                run_id=run_id,
                exit_code=outcome.exit_code,
                summary_path=outcome.summary_path,
                summary=outcome.summary,
            )
        )
        return outcome

    async def _fail(self, run_id: str, error: str) -> None:
        try:
            await self.runs.transition(
                run_id, RunState.FAILED, actor=self.owner, action="fail", error=error[:2000]
            )
        except Exception:
            # The run stays RUNNING in the table; its stale heartbeat makes it resumable.
            log.exception("could not mark run %s FAILED (%s)", run_id, error[:200])

    async def _restart_stalled(self, run_id: str, n: int) -> None:
        info = await self.runs.get(run_id)
        detail = {"stage": info.stage, "stall": n, "timeout_s": self.options.stall_timeout_s}
        await self.runs.transition(
            run_id, RunState.CANCELLED, actor=self.owner, action="stalled", detail=detail
        )
        await self.runs.transition(
            run_id, RunState.PENDING, actor=self.owner, action="resume", detail=detail
        )
        await self.runs.transition(
            run_id,
            RunState.RUNNING,
            actor=self.owner,
            action="resume",
            detail=detail,
            attempt=info.attempt + 1,
            owner=self.owner,
            progress_at=now(),
            heartbeat_at=now(),
        )

    async def _watch(self, run_id: str, job: asyncio.Task[Any]) -> str | None:
        """Heartbeat the run; cancel `job` on a `cancel` from elsewhere or on a stall."""
        try:
            while not job.done():
                await asyncio.sleep(self.options.heartbeat_s)
                state = await self.runs.heartbeat(run_id, self.owner)
                if state is RunState.CANCELLED:
                    job.cancel()
                    return "cancelled"
                timeout = self.options.stall_timeout_s
                if timeout is not None:
                    info = await self.runs.get(run_id)
                    last = info.progress_at or info.updated_at
                    if (now() - last).total_seconds() > timeout:
                        log.warning("run %s stalled at %s; restarting", run_id, info.stage)
                        await self.runs.note(
                            run_id, "stall-detected", self.owner, {"stage": info.stage}
                        )
                        job.cancel()
                        return "stalled"
        except asyncio.CancelledError:
            return None
        return None


async def run_graph(
    request: RunRequest,
    settings: Settings,
    *,
    bus_url: str | None = None,
    catalog: str | None = None,
    options: OrchestrationOptions | None = None,
    events: EventHub | None = None,
) -> RunOutcome:
    """Run the whole pipeline through the graph; agents in-process (memory bus) or in workers
    (`redis://` bus); `events` hears what happens. Raises `PipelineError` when a stage fails,
    `RunCancelled` when cancelled."""
    async with Orchestrator.open(
        settings, bus_url=bus_url, catalog=catalog, options=options, events=events
    ) as orch:
        return await orch.run(request)


async def resume_graph(
    run_id: str,
    settings: Settings,
    *,
    bus_url: str | None = None,
    options: OrchestrationOptions | None = None,
    events: EventHub | None = None,
) -> RunOutcome:
    """Continue an interrupted, failed or cancelled run from its last checkpoint."""
    async with Orchestrator.open(
        settings, bus_url=bus_url, resume_of=run_id, options=options, events=events
    ) as o:
        return await o.resume(run_id)


def missing_credentials(request: RunRequest) -> list[str]:
    """Environment variables (and secret files) the run's credential references name that
    are not set (not readable)."""
    auth = request.observe.target.auth
    refs = [auth.username_ref, auth.password_ref, auth.http_credentials_ref]
    missing = [r[4:] for r in refs if r and r.startswith("env:") and not os.environ.get(r[4:])]
    missing += [
        r[5:] for r in refs if r and r.startswith("file:") and not os.access(r[5:], os.R_OK)
    ]
    return list(dict.fromkeys(missing))
