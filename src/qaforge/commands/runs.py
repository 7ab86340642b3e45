"""`qaforge runs` (list runs and their state), `qaforge resume RUN_ID`, `qaforge cancel RUN_ID`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from qaforge.commands.common import (
    EXIT_USAGE,
    StageProgress,
    console,
    fail,
    note_endpoint,
    print_error,
    print_json,
    settings_or_exit,
    stdout,
)
from qaforge.config import Settings


async def _list(settings: Settings, limit: int) -> list[dict[str, Any]]:
    from qaforge.orchestrate.runs import RunStore
    from qaforge.store.database import Database
    from qaforge.store.migrate import ensure_schema

    assert settings.database_url is not None
    await asyncio.to_thread(ensure_schema, settings.database_url)
    db = Database(settings.database_url)
    try:
        return [r.as_dict() for r in await RunStore(db).all(limit)]
    finally:
        await db.dispose()


def runs(
    json_out: bool = typer.Option(False, "--json", help="print JSON on stdout"),
    limit: int = typer.Option(50, "--limit", min=1, help="newest N runs"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """List runs, newest first, with their id and state."""
    settings = settings_or_exit(config)
    rows = _run_safely(_list(settings, limit))
    if json_out:
        print_json(rows)
        return
    table = Table(title="qaforge runs")
    for col in ("id", "state", "stage", "app", "created", "exit"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["id"],
            r["state"],
            r["stage"] or "",
            r["app"],
            r["created_at"][:19],
            "" if r["exit_code"] is None else str(r["exit_code"]),
        )
    stdout.print(table)


def resume(
    run_id: str = typer.Argument(..., help="the run to continue"),
    bus: str | None = typer.Option(None, "--bus", help="bus URL (default: the run's own)"),
    stale_after: float = typer.Option(
        30.0, "--stale-after", min=0.0, help="seconds without heartbeat before an owner is dead"
    ),
    json_out: bool = typer.Option(False, "--json"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Continue an interrupted, failed or cancelled run from its last checkpoint."""
    from qaforge.commands.run import STAGE_LABEL
    from qaforge.contracts.events import EventHub
    from qaforge.orchestrate.graph import PipelineError
    from qaforge.orchestrate.orchestrator import OrchestrationOptions, RunCancelled, resume_graph
    from qaforge.orchestrate.runs import ResumeRefused, RunNotFound
    from qaforge.orchestrate.states import InvalidTransition

    settings = settings_or_exit(config)
    if bus:
        note_endpoint("bus", bus)
    options = OrchestrationOptions(owner_stale_after_s=stale_after)
    stages = StageProgress(STAGE_LABEL, show=not json_out)
    events = EventHub()
    stages.follow(events)
    try:
        with stages:
            outcome = asyncio.run(
                resume_graph(run_id, settings, bus_url=bus, options=options, events=events)
            )
    except (ResumeRefused, RunNotFound, InvalidTransition, PipelineError, RunCancelled) as exc:
        print_error(str(exc))
        if stages.seen_stage:
            console.print(
                f"run {run_id} did not finish; resume again with: qaforge resume {run_id}",
                highlight=False,
                soft_wrap=True,
                markup=False,
            )
        raise typer.Exit(EXIT_USAGE) from None
    if json_out:
        print_json(outcome.summary.model_dump(mode="json"))
    else:
        console.print(f"run {outcome.run_id} completed; summary: {outcome.summary_path}")
    raise typer.Exit(outcome.exit_code)


async def _cancel(settings: Settings, run_id: str) -> str:
    from qaforge.orchestrate.runs import RunStore
    from qaforge.orchestrate.states import RunState
    from qaforge.store.database import Database
    from qaforge.store.migrate import ensure_schema

    assert settings.database_url is not None
    await asyncio.to_thread(ensure_schema, settings.database_url)
    db = Database(settings.database_url)
    try:
        info = await RunStore(db).transition(
            run_id, RunState.CANCELLED, actor="cli", action="cancel"
        )
        return info.state.value
    finally:
        await db.dispose()


def cancel(
    run_id: str = typer.Argument(..., help="the run to cancel"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Cancel a pending or running run (its driver stops at its next heartbeat)."""
    settings = settings_or_exit(config)
    state = _run_safely(_cancel(settings, run_id))
    console.print(f"run {run_id}: {state}")


def _run_safely(coro: Any) -> Any:
    from qaforge.orchestrate.runs import RunNotFound
    from qaforge.orchestrate.states import InvalidTransition
    from qaforge.store.migrate import SchemaError

    try:
        return asyncio.run(coro)
    except (RunNotFound, InvalidTransition, SchemaError) as exc:
        fail(str(exc))


def register(app: typer.Typer) -> None:
    """Attach `runs`, `resume` and `cancel`."""
    app.command("runs")(runs)
    app.command("resume")(resume)
    app.command("cancel")(cancel)
