"""Runs in the database: create, transition (audited), heartbeat, progress, list, resume checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from qaforge.agents.registry import process_gone
from qaforge.bus.messages import check_no_secrets
from qaforge.errors import UserError
from qaforge.orchestrate.states import InvalidTransition, RunState, check
from qaforge.store.database import Database
from qaforge.store.tables import AuditRow, RunRow
from qaforge.store.times import aware, now


class RunNotFound(UserError):
    """No run with that id."""


class ResumeRefused(UserError):
    """The run cannot be resumed (finished, or still owned by a live process)."""


@dataclass(frozen=True)
class RunInfo:
    """What `qaforge runs` shows about a run."""

    id: str
    app: str
    state: RunState
    stage: str | None
    out_dir: str
    owner: str | None
    attempt: int
    exit_code: int | None
    error: str | None
    summary_path: str | None
    created_at: datetime
    updated_at: datetime
    heartbeat_at: datetime | None
    progress_at: datetime | None
    request: dict[str, Any]
    options: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly (without the request)."""
        return {
            "id": self.id,
            "app": self.app,
            "state": self.state.value,
            "stage": self.stage,
            "out_dir": self.out_dir,
            "owner": self.owner,
            "attempt": self.attempt,
            "exit_code": self.exit_code,
            "error": self.error,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "heartbeat_at": self.heartbeat_at.isoformat() if self.heartbeat_at else None,
        }


def _info(r: RunRow) -> RunInfo:
    created, updated = aware(r.created_at), aware(r.updated_at)
    assert created is not None and updated is not None
    return RunInfo(
        r.id,
        r.app,
        RunState(r.state),
        r.stage,
        r.out_dir,
        r.owner,
        r.attempt,
        r.exit_code,
        r.error,
        r.summary_path,
        created,
        updated,
        aware(r.heartbeat_at),
        aware(r.progress_at),
        dict(r.request or {}),
        dict(r.options or {}),
    )


class RunStore:
    """Every state change goes through `transition`: checked, persisted, audited, atomically."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        run_id: str,
        request: dict[str, Any],
        *,
        app: str = "",
        out_dir: str = "",
        options: dict[str, Any] | None = None,
        actor: str = "",
    ) -> RunInfo:
        """A new PENDING run (the request must hold credential references only)."""
        check_no_secrets(request, "request")
        async with self.db.session() as s:
            row = RunRow(
                id=run_id,
                app=app,
                state=RunState.PENDING.value,
                out_dir=out_dir,
                request=request,
                options=options or {},
            )
            s.add(row)
            s.add(
                AuditRow(
                    entity="run",
                    entity_id=run_id,
                    action="create",
                    to_state=RunState.PENDING.value,
                    actor=actor,
                )
            )
        return await self.get(run_id)

    async def get(self, run_id: str) -> RunInfo:
        """The run, or `RunNotFound`."""
        async with self.db.session() as s:
            row = await s.get(RunRow, run_id)
            if row is None:
                raise RunNotFound(f"no run with id {run_id!r}")
            return _info(row)

    async def all(self, limit: int = 100) -> list[RunInfo]:
        """Newest first."""
        async with self.db.session() as s:
            rows = (
                await s.scalars(select(RunRow).order_by(RunRow.created_at.desc()).limit(limit))
            ).all()
        return [_info(r) for r in rows]

    async def transition(
        self,
        run_id: str,
        target: RunState,
        *,
        actor: str = "",
        action: str = "transition",
        detail: dict[str, Any] | None = None,
        expect: RunState | None = None,
        **fields: Any,
    ) -> RunInfo:
        """Move the run to `target` (raises `InvalidTransition`), with an audit entry."""
        async with self.db.session() as s:
            row = await s.get(RunRow, run_id, with_for_update=True)
            if row is None:
                raise RunNotFound(f"no run with id {run_id!r}")
            current = RunState(row.state)
            if expect is not None and current is not expect:
                raise InvalidTransition(run_id, current, target)
            check(run_id, current, target)
            row.state = target.value
            row.updated_at = now()
            for k, v in fields.items():
                setattr(row, k, v)
            s.add(
                AuditRow(
                    entity="run",
                    entity_id=run_id,
                    action=action,
                    from_state=current.value,
                    to_state=target.value,
                    actor=actor,
                    detail=detail or {},
                )
            )
            return _info(row)

    async def note(
        self, run_id: str, action: str, actor: str = "", detail: dict[str, Any] | None = None
    ) -> None:
        """Audit an event that changes no state."""
        async with self.db.session() as s:
            s.add(
                AuditRow(
                    entity="run", entity_id=run_id, action=action, actor=actor, detail=detail or {}
                )
            )

    async def history(self, run_id: str) -> list[dict[str, Any]]:
        """The run's audit log, oldest first."""
        async with self.db.session() as s:
            rows = (
                await s.scalars(
                    select(AuditRow)
                    .where(AuditRow.entity == "run", AuditRow.entity_id == run_id)
                    .order_by(AuditRow.id)
                )
            ).all()
        return [
            {
                "at": (aware(r.at) or now()).isoformat(),
                "action": r.action,
                "from": r.from_state,
                "to": r.to_state,
                "actor": r.actor,
                "detail": r.detail,
            }
            for r in rows
        ]

    async def heartbeat(self, run_id: str, owner: str) -> RunState:
        """The owner is alive; returns the current state (a `cancel` from elsewhere shows)."""
        async with self.db.session() as s:
            row = await s.get(RunRow, run_id)
            if row is None:
                raise RunNotFound(f"no run with id {run_id!r}")
            if row.owner == owner and row.state == RunState.RUNNING.value:
                row.heartbeat_at = now()
            return RunState(row.state)

    async def progress(self, run_id: str, stage: str) -> None:
        """The run reached or finished `stage` (stall detection watches this)."""
        async with self.db.session() as s:
            row = await s.get(RunRow, run_id)
            if row is not None:
                row.stage = stage
                row.progress_at = row.heartbeat_at = now()

    async def check_resumable(self, run_id: str, stale_after_s: float) -> RunInfo:
        """Raise `ResumeRefused` unless the run may be resumed (architecture.md §6)."""
        info = await self.get(run_id)
        if info.state is RunState.COMPLETED:
            raise ResumeRefused(f"run {run_id} is COMPLETED; nothing to resume")
        if info.state is RunState.RUNNING:
            hb = info.heartbeat_at or info.updated_at
            age = (now() - hb).total_seconds()
            # An owner on this host whose process is gone is interrupted now; the heartbeat
            # wait is for owners on other hosts, whose processes cannot be seen from here.
            if age < stale_after_s and not owner_is_gone(info.owner):
                raise ResumeRefused(
                    f"run {run_id} is RUNNING and its owner {info.owner} was alive {age:.0f}s "
                    f"ago; resume is allowed once its heartbeat is {stale_after_s:.0f}s stale"
                )
        return info

    @staticmethod
    def stale_cutoff(stale_after_s: float) -> datetime:
        """Heartbeats older than this are stale."""
        return now() - timedelta(seconds=stale_after_s)


def owner_is_gone(owner: str | None) -> bool:
    """Whether `owner` (`host:pid:id`) ran on this host and its process no longer exists."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if not pid_text.isdigit():
        return False
    return process_gone(host, int(pid_text))
