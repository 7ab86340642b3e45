"""Record every generation, and write its outcomes back when execution finishes."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from qaforge.contracts.summary import RunSummary, TestCounts
from qaforge.generate.snapshot import snapshot_text, stamp_snapshot, suite_files, write_snapshot
from qaforge.learn.config import LearningConfig
from qaforge.learn.patterns import features_of_suite, mine_patterns
from qaforge.learn.reward import Figures, rates_from_summary, reward
from qaforge.learn.store import ensure_tables
from qaforge.learn.variants import EVOLUTION, get_variant, refresh_variant_figures, seed_variants
from qaforge.models import RunResults, ScenarioKind
from qaforge.store.database import Database
from qaforge.store.learning_tables import (
    GeneratedFile,
    StrategyVariant,
    TestGeneration,
    UserFeedback,
)

log = logging.getLogger("qaforge.learn")


class GenerationRecord(BaseModel):
    """What one generation was: who, for which app, with which strategy, how much."""

    run_id: str
    app: str
    strategy: str
    agent: str = EVOLUTION
    variant_id: int | None = None
    experiment_id: int | None = None
    scenario_kinds: list[str] = Field(default_factory=list)
    tests_generated: int | None = None  # None: count the suite's tests
    duration_s: float = 0.0
    tokens: int = 0  # 0 until an LLM generates code (architecture.md §6)
    suite_dir: str | None = None
    patterns_applied: list[str] = Field(default_factory=list)
    features: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Any] | None = None  # the strategy as used (None: the variant's)


async def record_generation(db: Database, rec: GenerationRecord) -> int:
    """Insert a `test_generations` row (and snapshot the suite's files); returns its id."""
    await ensure_tables(db)
    files: list[str] = []
    tests: list[dict[str, Any]] = []
    suite_dir = Path(rec.suite_dir) if rec.suite_dir else None
    if suite_dir is not None:
        files, tests = suite_files(suite_dir)
    kinds = rec.scenario_kinds or sorted({t["kind"] for t in tests if t["kind"]})
    features = rec.features or (features_of_suite(suite_dir) if suite_dir else {})
    async with db.session() as s:
        await seed_variants(s)
        variant = await _variant_for(s, rec)
        # Idempotent: a task delivered twice (bus redelivery, a driver that also records
        # through the agent hook) is one generation.
        same = await s.scalar(
            select(TestGeneration).where(
                TestGeneration.run_id == rec.run_id,
                TestGeneration.agent == rec.agent,
                TestGeneration.strategy == rec.strategy,
                TestGeneration.suite_dir == (str(suite_dir.resolve()) if suite_dir else None),
            )
        )
        if same is not None and rec.suite_dir is not None:
            return same.id
        gen = TestGeneration(
            run_id=rec.run_id,
            agent=rec.agent,
            app=rec.app,
            strategy=rec.strategy,
            variant_id=variant.id if variant else None,
            experiment_id=rec.experiment_id,
            scenario_kinds=kinds,
            tests_generated=rec.tests_generated if rec.tests_generated is not None else len(tests),
            duration_s=rec.duration_s,
            tokens=rec.tokens,
            suite_dir=str(suite_dir.resolve()) if suite_dir else None,
            patterns_applied=rec.patterns_applied,
            details={
                "tests": tests,
                "features": features,
                "strategy_params": rec.parameters
                if rec.parameters is not None
                else (dict(variant.parameters) if variant else {}),
            },
        )
        s.add(gen)
        await s.flush()
        if variant is not None:
            variant.usage_count += 1
        if suite_dir is not None and files:
            # The suite's writer snapshots what it generated (a person's edits it kept are
            # not part of it); a suite from before that is snapshotted as it stands.
            hashes = stamp_snapshot(suite_dir, rec.run_id, gen.id)
            if hashes is None:
                hashes = write_snapshot(suite_dir, rec.run_id, gen.id, files)
            for rel, digest in hashes.items():
                content = snapshot_text(suite_dir, rel)
                if content is None:
                    continue
                s.add(GeneratedFile(generation_id=gen.id, path=rel, sha256=digest, content=content))
        return gen.id


async def _variant_for(s: AsyncSession, rec: GenerationRecord) -> StrategyVariant | None:
    if rec.variant_id is not None:
        return await s.get(StrategyVariant, rec.variant_id)
    return await get_variant(s, rec.agent, rec.strategy)


async def record_outcomes(
    db: Database,
    run_id: str,
    summary: RunSummary,
    config: LearningConfig,
    results: dict[str, Any] | None = None,
) -> list[int]:
    """Write a finished run's outcomes onto its generations; update variants, experiments, monitor.

    `summary` is the run's summary; `results` (results.json) gives per-kind figures and is
    read from beside the summary when not given. Returns the ids of the generations updated:
    none for a suite that was written but not run (a TypeScript one), which says nothing of
    how its strategy's tests fare.
    """
    if not summary.executed:
        return []
    cfg = config
    await ensure_tables(db)
    if results is None:
        results = _results_beside(summary)
    from datetime import UTC, datetime

    from qaforge.learn.experiments import add_generation_sample
    from qaforge.learn.monitor import check_variant, update_daily

    updated: list[int] = []
    async with db.session() as s:
        gens = (
            await s.scalars(
                select(TestGeneration).where(
                    TestGeneration.run_id == run_id, TestGeneration.agent == EVOLUTION
                )
            )
        ).all()
        for gen in gens:
            rates = rates_from_summary(judged_summary(summary, results, gen.details))
            gen.outcome_at = datetime.now(UTC)
            for key in ("passed", "failed", "flaky", "healed", "quarantined", "app_defects"):
                setattr(gen, key, rates[key])
            gen.coverage = rates["coverage"]
            gen.pass_rate = rates["pass_rate"]
            gen.flake_rate = rates["flake_rate"]
            gen.heal_rate = rates["heal_rate"]
            gen.faults_caught = rates["app_defects"]
            details = dict(gen.details)
            details["counts"] = {
                "kept_denominator": rates["kept_denominator"],
                "stable_pass_rate": rates["stable_pass_rate"],
            }
            if results is not None:
                details["by_kind"] = _by_kind(gen.details.get("tests", []), results, cfg)
                details["by_template"] = _by_template(gen.details.get("tests", []), results)
            gen.details = details
            await _system_rows(s, gen, rates)
            await refresh_generation(s, gen, cfg)
            await add_generation_sample(s, gen, cfg)
            updated.append(gen.id)
        await s.flush()
        for gen in gens:
            await update_daily(s, gen.agent, gen.created_at.date(), [gen.strategy])
        for vid in {g.variant_id for g in gens if g.variant_id is not None}:
            variant = await s.get(StrategyVariant, vid)
            if variant is not None:
                await check_variant(s, variant, cfg)
        # Mining needs the app's features (from its crawled model); synthetic runs have none.
        for app in sorted({g.app for g in gens if g.details.get("features")}):
            await mine_patterns(s, cfg, app)
    return updated


def judged_summary(
    summary: RunSummary, results: dict[str, Any] | None, details: dict[str, Any]
) -> RunSummary:
    """The summary a strategy is judged on: without the page checks, which every strategy
    writes alike (one per page the HTTP walk found), so that they do not water down the
    difference between strategies. Unchanged without per-test results."""
    tests = details.get("tests", [])
    pages = frozenset(
        str(t["test_id"]) for t in tests if t.get("kind") == ScenarioKind.PAGE_ANSWERS
    )
    if not pages or results is None:
        return summary
    counts = TestCounts.of(RunResults.model_validate(results), None, pages)
    counts = counts.model_copy(update={"generated": max(0, summary.tests.generated - len(pages))})
    return summary.model_copy(
        update={"tests": counts, "pass_rate": counts.pass_rate(summary.executed)}
    )


_RUN_METRICS = ("pass_rate", "flake_rate", "heal_rate")


async def _system_rows(s: AsyncSession, gen: TestGeneration, rates: dict[str, Any]) -> None:
    """The run's own figures as system-metric feedback (replacing an earlier write-back)."""
    await s.execute(
        delete(UserFeedback).where(
            UserFeedback.run_id == gen.run_id,
            UserFeedback.generation_id == gen.id,
            UserFeedback.source == "system",
            UserFeedback.signal.in_(_RUN_METRICS),
        )
    )
    for name in _RUN_METRICS:
        s.add(
            UserFeedback(
                run_id=gen.run_id,
                generation_id=gen.id,
                source="system",
                signal=name,
                value=float(rates[name]),
            )
        )


def _results_beside(summary: RunSummary) -> dict[str, Any] | None:
    path = summary.artifacts.summary
    if not path:
        return None
    candidate = Path(path).parent / "results.json"
    if not candidate.exists():
        return None
    data: dict[str, Any] = json.loads(candidate.read_text(encoding="utf-8"))
    return data


def _by_template(tests: list[dict[str, Any]], results: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Per URL template: tests, how many failed (or were unstable), how many hit a defect."""
    template_of = {t["test_id"]: t.get("template", "") for t in tests}
    out: dict[str, dict[str, int]] = {}
    for r in results.get("results", []):
        template = template_of.get(r.get("test_id", ""), "")
        if not template:
            continue
        c = out.setdefault(template, {"tests": 0, "failed": 0, "defects": 0})
        c["tests"] += 1
        outcome = r.get("outcome", "")
        if outcome in {"failed", "flaky", "quarantined"}:
            c["failed"] += 1
        if outcome == "app-defect":
            c["defects"] += 1
    return out


def _by_kind(
    tests: list[dict[str, Any]], results: dict[str, Any], cfg: LearningConfig
) -> dict[str, dict[str, float]]:
    """Per scenario kind: pass rate, flake rate and reward of that kind's tests."""
    kind_of = {t["test_id"]: t.get("kind", "") for t in tests}
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in results.get("results", []):
        kind = kind_of.get(r.get("test_id", ""), "")
        if not kind:
            continue
        outcome = r.get("outcome", "")
        c = counts[kind]
        c["total"] += 1
        if outcome in {"passed", "healed"}:
            c["passed"] += 1
        if outcome == "healed":
            c["healed"] += 1
        if outcome in {"flaky", "quarantined"}:
            c["unstable"] += 1
        if outcome == "app-defect":
            c["defects"] += 1
    out: dict[str, dict[str, float]] = {}
    for kind, c in counts.items():
        denom = c["total"] - c["defects"] - c["unstable"]
        fig = Figures(
            pass_rate=c["passed"] / denom if denom > 0 else 1.0,
            flake_rate=c["unstable"] / c["total"] if c["total"] else 0.0,
            heal_rate=c["healed"] / c["passed"] if c["passed"] else 0.0,
        )
        out[kind] = {
            "tests": float(c["total"]),
            "pass_rate": round(fig.pass_rate or 0.0, 6),
            "flake_rate": round(fig.flake_rate or 0.0, 6),
            "reward": reward(fig, cfg.weights) or 0.0,
        }
    return out


async def feedback_figures(s: AsyncSession, gen: TestGeneration) -> dict[str, Any]:
    """Ratings, CI pass rate and kept score from the feedback rows of a generation's run."""
    rows = (
        await s.scalars(
            select(UserFeedback).where(UserFeedback.run_id == gen.run_id).order_by(UserFeedback.id)
        )
    ).all()
    ratings = [r.rating for r in rows if r.source == "explicit" and r.rating is not None]
    # The latest CI and implicit verdict per test wins (a later import supersedes an earlier).
    ci: dict[str, str] = {}
    implicit: dict[str, float] = {}
    for r in rows:
        key = r.test_id or "*"
        if r.source == "ci" and r.signal in {"passed", "failed"}:
            ci[key] = r.signal
        elif r.source == "implicit" and r.signal in {"kept", "edited", "deleted"}:
            implicit[key] = {"kept": 1.0, "deleted": 0.0}.get(
                r.signal, r.edit_ratio if r.edit_ratio is not None else 0.5
            )
    ci_runs = list(ci.values())
    mutation = [r.value for r in rows if r.source == "system" and r.signal == "mutation_score"]
    return {
        "rating": sum(ratings) / len(ratings) if ratings else None,
        "rating_count": len(ratings),
        "ci_pass_rate": (
            sum(1 for v in ci_runs if v == "passed") / len(ci_runs) if ci_runs else None
        ),
        "kept_score": sum(implicit.values()) / len(implicit) if implicit else None,
        "mutation_score": mutation[-1] if mutation else None,
    }


async def refresh_generation(s: AsyncSession, gen: TestGeneration, cfg: LearningConfig) -> None:
    """Recompute a generation's reward from its outcomes and all feedback on its run."""
    fb = await feedback_figures(s, gen)
    details = dict(gen.details)
    details.update(fb)
    gen.details = details
    stable = (gen.details.get("counts") or {}).get("stable_pass_rate")
    fig = Figures(
        pass_rate=stable if stable is not None else gen.pass_rate,
        flake_rate=gen.flake_rate,
        heal_rate=gen.heal_rate,
        rating=fb["rating"],
        ci_pass_rate=fb["ci_pass_rate"],
        kept_score=fb["kept_score"],
        mutation_score=fb["mutation_score"],
    )
    gen.reward = reward(fig, cfg.weights)
    if gen.variant_id is not None:
        await s.flush()
        variant = await s.get(StrategyVariant, gen.variant_id)
        if variant is not None:
            await refresh_variant_figures(s, variant)


async def refresh_run(db: Database, run_id: str, cfg: LearningConfig) -> int:
    """Recompute the rewards of a run's generations after new feedback; returns how many."""
    from qaforge.learn.experiments import add_generation_sample

    async with db.session() as s:
        gens = (
            await s.scalars(select(TestGeneration).where(TestGeneration.run_id == run_id))
        ).all()
        for gen in gens:
            await refresh_generation(s, gen, cfg)
            if gen.outcome_at is not None or gen.reward is not None:
                await add_generation_sample(s, gen, cfg)
        return len(gens)
