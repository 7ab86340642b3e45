"""Runs started over HTTP: driven by the server's one orchestrator, their events fanned out to
live streams, taken up again after a restart, drained on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from qaforge.config import Settings
from qaforge.contracts.envelope import new_id
from qaforge.contracts.events import RunEvent, RunFailed, RunFinished
from qaforge.contracts.summary import RunSummary
from qaforge.contracts.tasks import CrawlLimits, ObserveRequest
from qaforge.models import Auth, RunResults, Target, TestOutcome, TestResult
from qaforge.orchestrate.orchestrator import Orchestrator, missing_credentials
from qaforge.orchestrate.request import RunRequest
from qaforge.orchestrate.runs import RunInfo, RunNotFound, owner_is_gone
from qaforge.orchestrate.states import RunState
from qaforge.serve.accounts import Tenant, audit
from qaforge.serve.projects import check_allowed, load_project
from qaforge.serve.schemas import FindingOut, RunIn, RunOut, RunTestsOut, TestOut
from qaforge.serve.security import Principal
from qaforge.store.service_tables import ProjectRunRow
from qaforge.store.tables import RunRow
from qaforge.store.times import aware, now

log = logging.getLogger(__name__)

# Events a late subscriber is replayed (a run tells a few hundred at most).
_REPLAY = 5000
# Finished runs whose events stay in memory for replay (older ones answer with their state).
_KEEP_FINISHED = 100
_END = {"run-finished", "run-failed"}
# Ended runs whose figures and artifact names stay in memory (they no longer change).
_KEEP_FIGURES = 2000
# A run's artifact names (an alias: `RunManager.list` hides the builtin inside the class).
Names = list[str]
_ENDED = {RunState.COMPLETED.value, RunState.FAILED.value, RunState.CANCELLED.value}


@dataclass
class _Channel:
    """One run's events so far, and the queues of those listening."""

    events: list[dict[str, Any]] = field(default_factory=list)
    queues: set[asyncio.Queue[dict[str, Any]]] = field(default_factory=set)

    def put(self, item: dict[str, Any]) -> None:
        if len(self.events) < _REPLAY:
            self.events.append(item)
        for q in self.queues:
            q.put_nowait(item)


def event_json(event: RunEvent) -> dict[str, Any]:
    """An event as the streams send it (a finished run's summary is cut to its figures)."""
    data = event.model_dump(mode="json")
    if isinstance(event, RunFinished):
        s = event.summary
        data["summary"] = {
            "tests": s.tests.model_dump(mode="json"),
            "pass_rate": s.pass_rate,
            "findings": len(s.findings),
        }
    return data


class RunManager:
    """Starts, cancels and resumes runs in this process; one per server."""

    def __init__(self, settings: Settings, orchestrator: Orchestrator) -> None:
        self.settings = settings
        self.orch = orchestrator
        self.db = orchestrator.db
        self.runs_dir = settings.home / "runs"
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._channels: dict[str, _Channel] = {}
        self._finished: deque[str] = deque()
        # run id → (state, updated_at, figures, artifacts) of an ended run: listing runs
        # reads no files once a run has ended.
        self._ended: OrderedDict[str, tuple[str, Any, dict[str, Any] | None, list[str]]] = (
            OrderedDict()
        )
        self._accepting = True
        self._unsubscribe = orchestrator.events.subscribe(self._on_event)

    # ------------------------------------------------------------------ events

    def _channel(self, run_id: str) -> _Channel:
        return self._channels.setdefault(run_id, _Channel())

    def _on_event(self, event: RunEvent) -> None:
        self._channel(event.run_id).put(event_json(event))

    async def follow(self, run_id: str) -> AsyncIterator[dict[str, Any]]:
        """The run's events: those so far, then live ones, until it ends (or now, when it is
        not running in this process)."""
        ch = self._channel(run_id)
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        ch.queues.add(q)
        try:
            for item in list(ch.events):
                yield item
                if item.get("kind") in _END:
                    return
            while True:
                if run_id not in self._tasks and q.empty():
                    info = await self.orch.runs.get(run_id)
                    yield {"kind": "state", "run_id": run_id, "state": info.state.value}
                    return
                try:
                    item = await asyncio.wait_for(q.get(), timeout=1.0)
                except TimeoutError:
                    continue
                yield item
                if item.get("kind") in _END:
                    return
        finally:
            ch.queues.discard(q)

    # ------------------------------------------------------------------ runs

    async def start(
        self,
        spec: RunIn,
        tenant: Tenant,
        who: Principal,
        after: Callable[[str], Awaitable[None]] | None = None,
    ) -> str:
        """Start a run of one of the tenant's projects; returns its id at once. `after` is
        called with the run id when it ends (done, failed or cancelled)."""
        if not self._accepting:
            raise ServiceStopping("the server is shutting down; start the run again later")
        project, stored = await load_project(self.db, tenant.id, spec.project_id)
        base_url = str(spec.base_url) if spec.base_url else project.base_url
        check_allowed(base_url, tenant, "base URL")  # the allow-list may have shrunk
        run_id = new_id("run-")
        out_dir = self.runs_dir / run_id
        request = self._request(run_id, base_url, stored, spec, tenant, project.name, out_dir)
        missing = missing_credentials(request)
        if missing:
            raise MissingSecrets(
                f"project {project.name!r} logs in with {' and '.join(missing)}, which the "
                "server's environment does not set"
            )
        async with self.db.session() as s:
            s.add(
                ProjectRunRow(
                    run_id=run_id, project_id=project.id, tenant_id=tenant.id, started_by=who.actor
                )
            )
        await audit(self.db, "run", run_id, "start", who.actor, project=project.id)
        self._spawn(run_id, self.orch.run(request), after)
        await self._wait_created(run_id)
        return run_id

    def _request(
        self,
        run_id: str,
        base_url: str,
        stored: dict[str, Any],
        spec: RunIn,
        tenant: Tenant,
        name: str,
        out_dir: Path,
    ) -> RunRequest:
        auth = Auth(
            login_url=stored.get("login_url"),
            username_ref=stored.get("username_ref"),
            password_ref=stored.get("password_ref"),
        )
        target = Target(
            url=base_url,
            app=f"{tenant.name}/{name}",
            include=list(stored.get("include", [])),
            exclude=list(stored.get("exclude", [])),
            auth=auth,
        )
        limits = CrawlLimits(
            max_states=int(stored.get("max_states", 40)),
            time_budget_s=spec.time_budget_s or float(stored.get("time_budget_s", 120.0)),
            contexts=self.settings.browser_contexts,
        )
        observe = ObserveRequest(target=target, limits=limits, out_dir=str(out_dir))
        return RunRequest(
            run_id=run_id,
            observe=observe,
            out_dir=str(out_dir),
            app=f"{tenant.name}/{name}",
            strategy="default" if spec.no_learning and spec.strategy == "auto" else spec.strategy,
            max_tests=spec.max_tests or stored.get("max_tests"),
            workers=self.settings.test_workers,
        )

    def _spawn(
        self, run_id: str, work: Any, after: Callable[[str], Awaitable[None]] | None = None
    ) -> None:
        async def drive() -> None:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the orchestrator recorded FAILED or CANCELLED
                log.info("run %s stopped: %s", run_id, exc)
                self._channel(run_id).put(
                    event_json(RunFailed(run_id=run_id, error=str(exc) or type(exc).__name__))
                )
            finally:
                self._tasks.pop(run_id, None)
                self._forget_old(run_id)
            if after is not None:
                try:
                    await after(run_id)
                except Exception:  # telling GitHub is not the run's outcome
                    log.exception("after run %s", run_id)

        self._tasks[run_id] = asyncio.create_task(drive(), name=f"run {run_id}")

    def _forget_old(self, run_id: str) -> None:
        """Keep the events of the last finished runs only: a server runs for months."""
        self._finished.append(run_id)
        while len(self._finished) > _KEEP_FINISHED:
            old = self._finished.popleft()
            if old not in self._tasks and not self._channels.get(old, _Channel()).queues:
                self._channels.pop(old, None)

    async def _wait_created(self, run_id: str) -> None:
        """Until the run's row exists (the orchestrator writes it first thing)."""
        for _ in range(200):
            async with self.db.session() as s:
                if await s.get(RunRow, run_id) is not None:
                    return
            task = self._tasks.get(run_id)
            if task is None or task.done():
                return
            await asyncio.sleep(0.05)

    async def cancel(self, run_id: str, who: Principal) -> None:
        await self.orch.cancel(run_id, actor=who.actor)

    async def resume(self, run_id: str, who: Principal) -> None:
        """Take a stopped run up again from its last checkpoint, in this process."""
        if run_id in self._tasks:
            raise AlreadyRunning(f"run {run_id} is running in this server")
        info = await self.orch.runs.check_resumable(run_id, self.orch.options.stale_after_s)
        missing = missing_credentials(RunRequest.model_validate(info.request))
        if missing:
            raise MissingSecrets(f"run {run_id} logs in with {' and '.join(missing)}, unset")
        await audit(self.db, "run", run_id, "resume", who.actor)
        self._spawn(run_id, self.orch.resume(run_id))

    async def recover(self) -> list[str]:
        """At start-up: take up the API's runs an earlier server left RUNNING (its process is
        gone or silent); returns their ids. One whose secrets are unset stays resumable."""
        taken: list[str] = []
        async with self.db.session() as s:
            rows = (
                await s.execute(
                    select(RunRow)
                    .join(ProjectRunRow, ProjectRunRow.run_id == RunRow.id)
                    .where(RunRow.state.in_([RunState.RUNNING.value, RunState.PENDING.value]))
                )
            ).scalars()
            candidates = [
                (r.id, r.owner, aware(r.heartbeat_at) or aware(r.updated_at)) for r in rows
            ]
        stale = self.orch.options.stale_after_s
        for run_id, owner, beat in candidates:
            silent = beat is None or (now() - beat).total_seconds() > stale
            if not (owner_is_gone(owner) or silent):
                continue
            try:
                info = await self.orch.runs.check_resumable(run_id, stale)
                if missing_credentials(RunRequest.model_validate(info.request)):
                    continue
            except Exception as exc:
                log.warning("run %s cannot be taken up: %s", run_id, exc)
                continue
            await audit(self.db, "run", run_id, "recover", self.orch.owner)
            self._spawn(run_id, self.orch.resume(run_id))
            taken.append(run_id)
        return taken

    @property
    def active(self) -> list[str]:
        return list(self._tasks)

    @property
    def accepting(self) -> bool:
        return self._accepting

    async def drain(self, timeout_s: float) -> None:
        """Stop taking runs; wait up to `timeout_s` for those in flight, then stop them (their
        checkpoints stay: the next server takes them up)."""
        self._accepting = False
        tasks = list(self._tasks.values())
        if tasks:
            log.info("draining: %d run(s) in flight, waiting up to %.0f s", len(tasks), timeout_s)
            _, pending = await asyncio.wait(tasks, timeout=timeout_s)
            left = [t.get_name().removeprefix("run ") for t in pending]
            if left:
                log.warning("left %d run(s) for the next server to take up: %s", len(left), left)
            for t in pending:
                t.cancel()
            for t in pending:
                with contextlib.suppress(BaseException):
                    await t
        self._unsubscribe()

    # ------------------------------------------------------------------ reading

    async def get(self, tenant_id: int, run_id: str) -> RunOut:
        async with self.db.session() as s:
            pr = await s.get(ProjectRunRow, run_id)
            if pr is None or pr.tenant_id != tenant_id:
                raise RunNotFound(f"no run with id {run_id!r}")
            row = await s.get(RunRow, run_id)
            return self._out(pr, row)

    async def list(
        self,
        tenant_id: int,
        *,
        offset: int,
        limit: int,
        project_id: int | None = None,
        state: str | None = None,
    ) -> tuple[list[RunOut], int]:
        """The tenant's runs, newest first, filtered by project and state."""
        q = (
            select(ProjectRunRow, RunRow)
            .join(RunRow, RunRow.id == ProjectRunRow.run_id, isouter=True)
            .where(ProjectRunRow.tenant_id == tenant_id)
        )
        if project_id is not None:
            q = q.where(ProjectRunRow.project_id == project_id)
        if state is not None:
            q = q.where(RunRow.state == state.upper())
        async with self.db.session() as s:
            total = (await s.execute(select(func.count()).select_from(q.subquery()))).scalar_one()
            rows = (
                await s.execute(
                    q.order_by(ProjectRunRow.created_at.desc(), ProjectRunRow.run_id)
                    .offset(offset)
                    .limit(limit)
                )
            ).all()
            return [self._out(pr, row) for pr, row in rows], int(total)

    def _out(self, pr: ProjectRunRow, row: RunRow | None) -> RunOut:
        created = aware(pr.created_at)
        assert created is not None
        figures, artifacts = self._files(row)
        return RunOut(
            id=pr.run_id,
            project_id=pr.project_id,
            state=row.state if row is not None else RunState.PENDING.value,
            stage=row.stage if row is not None else None,
            attempt=row.attempt if row is not None else 0,
            exit_code=row.exit_code if row is not None else None,
            error=row.error if row is not None else None,
            started_by=pr.started_by,
            created_at=created,
            updated_at=(aware(row.updated_at) if row is not None else None) or created,
            figures=figures,
            artifacts=artifacts,
        )

    def _files(self, row: RunRow | None) -> tuple[dict[str, Any] | None, Names]:
        """A run's figures (its summary) and the artifacts it has; remembered once it ended
        (a resumed run changes state and `updated_at`, and is read afresh)."""
        if row is None:
            return None, []
        known = self._ended.get(row.id)
        if known is not None and known[:2] == (row.state, row.updated_at):
            self._ended.move_to_end(row.id)
            return known[2], known[3]
        figures = _figures(Path(row.summary_path)) if row.summary_path else None
        artifacts = artifact_names(Path(row.out_dir)) if row.out_dir else []
        if row.state in _ENDED:
            self._ended[row.id] = (row.state, row.updated_at, figures, artifacts)
            self._ended.move_to_end(row.id)
            while len(self._ended) > _KEEP_FIGURES:
                self._ended.popitem(last=False)
        return figures, artifacts

    async def tests(self, tenant_id: int, run_id: str) -> RunTestsOut:
        """The run's tests as they ended, those that did not pass first, and its findings."""
        info = await self.info(tenant_id, run_id)
        results = _results(info)
        tests = [
            TestOut(
                index=i,
                test_id=r.test_id,
                outcome=r.outcome.value,
                failure_class=r.failure_class.value if r.failure_class else None,
                message=r.message[:1000],
                screenshot=_inside(info, r.screenshot) is not None,
                trace=_inside(info, r.trace) is not None,
                healed=any(h.accepted for h in r.heals),
            )
            for i, r in enumerate(results)
        ]
        tests.sort(key=lambda t: (t.outcome == TestOutcome.PASSED.value, t.index))
        findings: list[FindingOut] = []
        if info.summary_path:
            with contextlib.suppress(OSError, ValueError):
                summary = RunSummary.load(Path(info.summary_path))
                findings = [
                    FindingOut(kind=str(f.kind), where=f.where, detail=f.detail)
                    for f in summary.findings
                ]
        return RunTestsOut(tests=tests, findings=findings)

    async def test_file(self, tenant_id: int, run_id: str, index: int, kind: str) -> Path:
        """The screenshot or trace of the run's test `index`; only a file inside the run's
        folder, whatever results.json says."""
        info = await self.info(tenant_id, run_id)
        results = _results(info)
        if not 0 <= index < len(results):
            raise RunNotFound(f"run {run_id} has no test {index}")
        r = results[index]
        path = _inside(info, r.screenshot if kind == "screenshot" else r.trace)
        if path is None:
            raise RunNotFound(f"test {r.test_id} of run {run_id} has no {kind}")
        return path

    async def info(self, tenant_id: int, run_id: str) -> RunInfo:
        """The run's full record (its folder), of this tenant only."""
        await self.get(tenant_id, run_id)
        return await self.orch.runs.get(run_id)


# The files of a run the API serves, by name; nothing else of its folder is reachable.
ARTIFACTS: dict[str, tuple[str, str]] = {
    "report.html": ("report.html", "text/html; charset=utf-8"),
    "report.md": ("report.md", "text/markdown; charset=utf-8"),
    "report.pdf": ("report.pdf", "application/pdf"),
    "junit.xml": ("junit.xml", "application/xml"),
    "summary.json": ("summary.json", "application/json"),
    "model.json": ("model.json", "application/json"),
}
SUITE_ZIP = "suite.zip"


def artifact_names(out_dir: Path) -> list[str]:
    """The artifacts a run has so far."""
    names = [n for n, (f, _) in ARTIFACTS.items() if (out_dir / f).is_file()]
    if (out_dir / "tests").is_dir():
        names.append(SUITE_ZIP)
    return names


def _figures(path: Path) -> dict[str, Any] | None:
    import json

    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    tests = data.get("tests", {})
    return {
        "generated": tests.get("generated"),
        "passed": tests.get("passed"),
        "failed": tests.get("failed"),
        "quarantined": tests.get("quarantined"),
        "app_defects": tests.get("app_defects"),
        "pass_rate": data.get("pass_rate"),
        "findings": len(data.get("findings", [])),
        "coverage": (data.get("coverage") or {}).get("templates"),
    }


def _results(info: RunInfo) -> list[TestResult]:
    path = Path(info.out_dir) / "results.json" if info.out_dir else None
    if path is None or not path.is_file():
        return []
    try:
        return RunResults.model_validate_json(path.read_text(encoding="utf-8")).results
    except ValueError:
        return []


def _inside(info: RunInfo, name: str | None) -> Path | None:
    """`name` as a file inside the run's folder, or None."""
    if not name or not info.out_dir:
        return None
    root = Path(info.out_dir).resolve()
    path = (root / name).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


class ServiceStopping(Exception):
    """The server is draining."""


class MissingSecrets(Exception):
    """A project's credential references name nothing the server has."""


class AlreadyRunning(Exception):
    """The run is being driven already."""
