"""Learning-loop commands: feedback, sync, import-results, experiments, patterns, strategies."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.table import Table

from qaforge.commands.common import fail, print_json, settings_or_exit, stdout
from qaforge.config import Settings
from qaforge.learn.config import LearningConfig
from qaforge.store.database import Database

T = TypeVar("T")


def _run(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Open the configured database, run `work`, close it; user errors exit 2, one line."""
    from qaforge.learn.ci_import import CiImportError
    from qaforge.learn.experiments import ExperimentError
    from qaforge.learn.feedback import FeedbackError
    from qaforge.learn.sync import SyncError
    from qaforge.store.migrate import SchemaError

    async def go() -> T:
        db = Database(str(settings.database_url))
        try:
            from qaforge.learn.store import ensure_tables

            await ensure_tables(db)
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(go())
    except (FeedbackError, SyncError, CiImportError, ExperimentError, SchemaError) as exc:
        fail(str(exc))


def _fmt(x: float | None, pct: bool = False) -> str:
    if x is None:
        return "–"
    return f"{x:.0%}" if pct else f"{x:.3f}"


def feedback(
    run_id: str = typer.Argument(..., help="the run to rate"),
    rating: int = typer.Option(..., "--rating", help="overall rating 1-5"),
    coverage: int | None = typer.Option(None, "--coverage", help="coverage 1-5"),
    quality: int | None = typer.Option(None, "--quality", help="test quality 1-5"),
    relevance: int | None = typer.Option(None, "--relevance", help="relevance 1-5"),
    comment: str | None = typer.Option(None, "--comment"),
    test: str | None = typer.Option(None, "--test", help="rate one test (its test id)"),
    user: str | None = typer.Option(None, "--user", help="optional user id (nothing else kept)"),
    json_out: bool = typer.Option(False, "--json"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Rate a run's generated tests; the rating feeds the strategy selection."""
    from qaforge.learn.feedback import add_feedback

    settings = settings_or_exit(config)
    cfg = LearningConfig.from_settings(settings)
    fid = _run(
        settings,
        lambda db: add_feedback(
            db,
            run_id,
            rating,
            coverage=coverage,
            quality=quality,
            relevance=relevance,
            comment=comment,
            test_id=test,
            user_id=user,
            config=cfg,
        ),
    )
    if json_out:
        print_json({"feedback_id": fid, "run_id": run_id, "rating": rating})
    else:
        stdout.print(f"feedback {fid} recorded for run {run_id}")


def sync(
    suite_dir: Path = typer.Argument(..., help="a generated tests directory (has suite.json)"),
    json_out: bool = typer.Option(False, "--json"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Compare a suite with what qaforge generated: kept, edited (how much) or deleted."""
    from qaforge.learn.sync import sync_suite

    settings = settings_or_exit(config)
    cfg = LearningConfig.from_settings(settings)
    report = _run(settings, lambda db: sync_suite(db, suite_dir, cfg))
    if json_out:
        print_json(
            {
                "run_id": report.run_id,
                "generation_id": report.generation_id,
                "counts": report.counts(),
                "recorded": report.recorded,
                "tests": [v.__dict__ for v in report.verdicts],
            }
        )
        return
    table = Table(title=f"sync · run {report.run_id}")
    for col in ("test", "signal", "similarity"):
        table.add_column(col, overflow="fold")
    for v in report.verdicts:
        table.add_row(v.test_id, v.signal, f"{v.similarity:.2f}")
    stdout.print(table)
    c = report.counts()
    stdout.print(
        f"kept {c['kept']}, edited {c['edited']}, deleted {c['deleted']}; "
        f"{report.recorded} new signal(s) recorded"
    )


def import_results(
    junit: Path = typer.Argument(..., help="JUnit XML from your CI"),
    run_id: str = typer.Option(..., "--run", help="the run that generated the tests"),
    json_out: bool = typer.Option(False, "--json"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Record how a run's generated tests fared in your CI."""
    from qaforge.learn.ci_import import import_results as do_import

    if not junit.is_file():
        fail(f"{junit} does not exist")
    settings = settings_or_exit(config)
    cfg = LearningConfig.from_settings(settings)
    res = _run(settings, lambda db: do_import(db, junit, run_id, cfg))
    if json_out:
        print_json(
            {
                "run_id": run_id,
                "counts": res.counts(),
                "matched": res.matched,
                "unmatched": res.unmatched,
            }
        )
        return
    c = res.counts()
    stdout.print(
        f"run {run_id}: {c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped in CI; "
        f"{len(res.unmatched)} case(s) not from this run"
    )


experiments_app = typer.Typer(
    help="A/B experiments between strategy variants.", invoke_without_command=True
)


@experiments_app.callback()
def experiments(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """List experiments with their figures (subcommands: start, stop)."""
    if ctx.invoked_subcommand is not None:
        return
    from qaforge.learn.experiments import list_experiments

    settings = settings_or_exit(config)

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.session() as s:
            return await list_experiments(s)

    rows = _run(settings, work)
    if json_out:
        print_json(rows)
        return
    table = Table(title="experiments")
    for col in ("name", "app", "metric", "arms (samples: value)", "status", "winner", "p"):
        table.add_column(col, overflow="fold")
    for e in rows:
        arms = ", ".join(
            f"{v}: {a['samples']}/{e['min_samples']} {_fmt(a['value'])}"
            for v, a in e["arms"].items()
        )
        table.add_row(
            e["name"],
            e["app"] or "any",
            e["metric"],
            arms,
            e["status"],
            e["winner"] or "–",
            _fmt(e["p_value"]),
        )
    stdout.print(table)


@experiments_app.command("start")
def experiments_start(
    name: str = typer.Argument(...),
    variants: str = typer.Option(..., "--variants", help="two variants: control,treatment"),
    app_name: str | None = typer.Option(None, "--app", help="only this app (default: every app)"),
    agent: str = typer.Option("evolution", "--agent"),
    metric: str = typer.Option(
        "pass_rate", "--metric", help="pass_rate, stability, rating, reward"
    ),
    split: str = typer.Option("0.5,0.5", "--split", help="traffic share per variant"),
    traffic: float = typer.Option(1.0, "--traffic", help="share of runs enrolled"),
    min_samples: int | None = typer.Option(None, "--min-samples", min=2),
    confidence: float | None = typer.Option(None, "--confidence", min=0.5, max=0.999),
    json_out: bool = typer.Option(False, "--json"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Start an experiment between two variants."""
    from qaforge.learn.experiments import create_experiment
    from qaforge.learn.variants import seed_variants

    try:
        shares = [float(x) for x in split.split(",")]
    except ValueError:
        fail(f"--split must be numbers like 0.5,0.5, not {split!r}")
    settings = settings_or_exit(config)
    cfg = LearningConfig.from_settings(settings)

    async def work(db: Database) -> int:
        async with db.session() as s:
            await seed_variants(s)
            exp = await create_experiment(
                s,
                name,
                [v.strip() for v in variants.split(",")],
                agent=agent,
                app=app_name,
                split=shares,
                traffic=traffic,
                metric=metric,
                min_samples=min_samples,
                confidence=confidence,
                config=cfg,
            )
            return exp.id

    eid = _run(settings, work)
    if json_out:
        print_json({"experiment_id": eid, "name": name})
    else:
        stdout.print(f"experiment {name!r} started (id {eid})")


@experiments_app.command("stop")
def experiments_stop(
    name: str = typer.Argument(...),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Stop a running experiment without a verdict."""
    from sqlalchemy import select

    from qaforge.learn.experiments import ExperimentError
    from qaforge.store.learning_tables import Experiment

    settings = settings_or_exit(config)

    async def work(db: Database) -> None:
        async with db.session() as s:
            exp = await s.scalar(select(Experiment).where(Experiment.name == name))
            if exp is None:
                raise ExperimentError(f"no experiment called {name!r}")
            exp.status = "stopped"

    _run(settings, work)
    stdout.print(f"experiment {name!r} stopped")


def patterns(
    mine: bool = typer.Option(False, "--mine", help="re-mine from all recorded generations"),
    json_out: bool = typer.Option(False, "--json"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Patterns learned from high-reward generations, with success rates."""
    from qaforge.learn.patterns import list_patterns, mine_patterns

    settings = settings_or_exit(config)
    cfg = LearningConfig.from_settings(settings)

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.session() as s:
            if mine:
                await mine_patterns(s, cfg)
            return [
                {
                    "key": p.key,
                    "app": p.app or "*",
                    "kind": p.kind,
                    "description": p.description,
                    "success_rate": p.success_rate,
                    "trials": p.trials,
                    "times_applied": p.times_applied,
                    "evidence": p.evidence,
                }
                for p in await list_patterns(s)
            ]

    rows = _run(settings, work)
    if json_out:
        print_json(rows)
        return
    table = Table(title="learned patterns")
    for col in ("pattern", "app", "kind", "success", "trials", "applied"):
        table.add_column(col, overflow="fold")
    for p in rows:
        table.add_row(
            p["description"],
            p["app"],
            p["kind"],
            _fmt(p["success_rate"], pct=True),
            str(p["trials"]),
            str(p["times_applied"]),
        )
    stdout.print(table)
    if not rows:
        stdout.print("no pattern yet: patterns appear once runs with outcomes accumulate")


def strategies(
    agent: str | None = typer.Option(None, "--agent", help="evolution, observation, llm-prompt"),
    activate: str | None = typer.Option(None, "--activate", help="re-enable a variant"),
    check: bool = typer.Option(False, "--check", help="run the quality monitor now"),
    days: int = typer.Option(7, "--days", min=1, help="days of per-agent performance"),
    json_out: bool = typer.Option(False, "--json"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Strategy variants with usage and quality figures, daily agent performance, and the
    monitor's alerts and rollbacks."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from qaforge.learn.experiments import ExperimentError
    from qaforge.learn.monitor import check_all, events
    from qaforge.learn.variants import get_variant, list_variants, seed_variants
    from qaforge.store.learning_tables import AgentPerformance

    settings = settings_or_exit(config)
    cfg = LearningConfig.from_settings(settings)

    async def work(db: Database) -> dict[str, Any]:
        async with db.session() as s:
            await seed_variants(s)
            if check:
                await check_all(s, cfg, agent)
            since = datetime.now(UTC).date() - timedelta(days=days - 1)
            perf = (
                await s.scalars(
                    select(AgentPerformance)
                    .where(AgentPerformance.day >= since, AgentPerformance.variant == "")
                    .order_by(AgentPerformance.day, AgentPerformance.agent)
                )
            ).all()
            if activate:
                v = await get_variant(s, agent or "evolution", activate)
                if v is None:
                    raise ExperimentError(f"unknown {agent or 'evolution'} variant {activate!r}")
                v.active = True
            return {
                "variants": [
                    {
                        "agent": v.agent,
                        "name": v.name,
                        "active": v.active,
                        "champion": v.is_default,
                        "source": v.source,
                        "usage": v.usage_count,
                        "outcomes": v.outcome_count,
                        "pass_rate": v.avg_pass_rate,
                        "flake_rate": v.avg_flake_rate,
                        "heal_rate": v.avg_heal_rate,
                        "rating": v.avg_rating,
                        "reward": v.avg_reward,
                        "baseline": v.baseline_reward,
                        "parameters": v.parameters,
                    }
                    for v in await list_variants(s, agent)
                ],
                "performance": [
                    {
                        "day": p.day.isoformat(),
                        "agent": p.agent,
                        "tasks": p.generations,
                        "tests": p.tests_generated,
                        "pass_rate": p.avg_pass_rate,
                        "flake_rate": p.avg_flake_rate,
                        "reward": p.avg_reward,
                        "tokens": p.tokens,
                        "seconds": p.duration_s,
                    }
                    for p in perf
                ],
                "events": [
                    {
                        "kind": e.kind,
                        "variant": e.variant,
                        "replacement": e.replacement,
                        "message": e.message,
                        "at": e.created_at,
                    }
                    for e in await events(s)
                ],
            }

    data = _run(settings, work)
    if json_out:
        print_json(data)
        return
    table = Table(title="strategy variants")
    for col in ("agent", "variant", "state", "used", "pass", "flake", "heal", "rating", "reward"):
        # A name is what a user types back (--activate NAME): never cut, the figures fold.
        table.add_column(col, overflow="fold", no_wrap=col in ("agent", "variant", "state"))
    for v in data["variants"]:
        state = ("champion" if v["champion"] else "active") if v["active"] else "off"
        table.add_row(
            v["agent"],
            v["name"],
            state,
            str(v["usage"]),
            _fmt(v["pass_rate"], True),
            _fmt(v["flake_rate"], True),
            _fmt(v["heal_rate"], True),
            _fmt(v["rating"]),
            _fmt(v["reward"]),
        )
    stdout.print(table)
    if data["performance"]:
        perf_table = Table(title=f"agent performance (last {days} days)")
        for col in ("day", "agent", "tasks", "tests", "pass", "flake", "reward", "seconds"):
            perf_table.add_column(col, overflow="fold")
        for p in data["performance"]:
            perf_table.add_row(
                p["day"],
                p["agent"],
                str(p["tasks"]),
                str(p["tests"]),
                _fmt(p["pass_rate"], True),
                _fmt(p["flake_rate"], True),
                _fmt(p["reward"]),
                f"{p['seconds']:.1f}",
            )
        stdout.print(perf_table)
    for e in data["events"][-10:]:
        stdout.print(f"[yellow]{e['kind']}[/] {e['message']}")


def register(app: typer.Typer) -> None:
    """Attach the learning-loop commands."""
    app.command("feedback")(feedback)
    app.command("sync")(sync)
    app.command("import-results")(import_results)
    app.add_typer(experiments_app, name="experiments")
    app.command("patterns")(patterns)
    app.command("strategies")(strategies)
