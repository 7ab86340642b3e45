"""A/B experiments between variants, concluded by a real statistical test at fixed horizon.

An experiment is evaluated once, when every arm has `min_samples` generations with outcomes;
testing only then (no peeking) keeps the false-positive rate at the configured level.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
from scipy import stats
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from qaforge.learn.config import LearningConfig
from qaforge.learn.variants import EVOLUTION
from qaforge.store.learning_tables import (
    Experiment,
    ExperimentResult,
    StrategyVariant,
    TestGeneration,
)

log = logging.getLogger("qaforge.learn")

Metric = Literal["pass_rate", "stability", "rating", "reward"]
METRICS: tuple[str, ...] = ("pass_rate", "stability", "rating", "reward")
PROPORTIONS = {"pass_rate", "stability"}


class ExperimentError(ValueError):
    """An experiment cannot be created as asked."""


async def create_experiment(
    s: AsyncSession,
    name: str,
    variants: list[str],
    *,
    agent: str = EVOLUTION,
    app: str | None = None,
    split: list[float] | None = None,
    traffic: float = 1.0,
    metric: str = "pass_rate",
    min_samples: int | None = None,
    confidence: float | None = None,
    config: LearningConfig,
) -> Experiment:
    """Start an experiment between two existing variants of `agent`."""
    cfg = config
    if len(variants) != 2 or variants[0] == variants[1]:
        raise ExperimentError("an experiment compares exactly two different variants")
    if metric not in METRICS:
        raise ExperimentError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    split = split or [0.5, 0.5]
    if len(split) != 2 or any(x <= 0 for x in split) or abs(sum(split) - 1.0) > 1e-6:
        raise ExperimentError("split is two positive shares summing to 1, e.g. 0.5,0.5")
    if not 0.0 < traffic <= 1.0:
        raise ExperimentError("traffic is a share of runs in (0, 1]")
    for v in variants:
        found = await s.scalar(
            select(StrategyVariant).where(StrategyVariant.agent == agent, StrategyVariant.name == v)
        )
        if found is None:
            raise ExperimentError(f"unknown {agent} variant {v!r}")
    if await s.scalar(select(Experiment).where(Experiment.name == name)) is not None:
        raise ExperimentError(f"an experiment called {name!r} exists already")
    exp = Experiment(
        name=name,
        agent=agent,
        app=app,
        variants=list(variants),
        split=list(split),
        traffic=traffic,
        metric=metric,
        min_samples=min_samples or cfg.experiment_min_samples,
        confidence=confidence or cfg.experiment_confidence,
        status="running",
        result={},
    )
    s.add(exp)
    await s.flush()
    return exp


async def running_experiment(s: AsyncSession, agent: str, app: str) -> Experiment | None:
    """The oldest running experiment that covers `app` (its own, or one for every app)."""
    return await s.scalar(
        select(Experiment)
        .where(
            Experiment.agent == agent,
            Experiment.status == "running",
            (Experiment.app == app) | Experiment.app.is_(None),
        )
        .order_by(Experiment.id)
    )


def assign_arm(exp: Experiment, rng: np.random.Generator) -> str | None:
    """The arm for one run, or None when the run falls outside the experiment's traffic."""
    if rng.random() >= exp.traffic:
        return None
    idx = int(rng.choice(len(exp.variants), p=np.asarray(exp.split, dtype=float)))
    return str(exp.variants[idx])


def sample_of(metric: str, gen: TestGeneration) -> tuple[int, int, float | None]:
    """(successes, trials, value) one generation contributes to `metric`."""
    generated = gen.tests_generated or 0
    if metric == "pass_rate":
        trials = int((gen.details.get("counts") or {}).get("kept_denominator", 0))
        return min(gen.passed or 0, trials), trials, gen.pass_rate
    if metric == "stability":
        unstable = max(gen.flaky or 0, gen.quarantined or 0)
        return generated - unstable, generated, 1.0 - (gen.flake_rate or 0.0)
    if metric == "rating":
        rating = gen.details.get("rating")
        return 0, 0, float(rating) if rating is not None else None
    return 0, 0, gen.reward


async def add_generation_sample(
    s: AsyncSession, gen: TestGeneration, cfg: LearningConfig | None = None
) -> None:
    """Record (or refresh) the generation's sample in its experiment, then evaluate it."""
    if gen.experiment_id is None or gen.outcome_at is None:
        return
    exp = await s.get(Experiment, gen.experiment_id)
    variant = await s.get(StrategyVariant, gen.variant_id) if gen.variant_id else None
    if exp is None or variant is None or variant.name not in exp.variants:
        return
    successes, trials, value = sample_of(exp.metric, gen)
    row = await s.scalar(
        select(ExperimentResult).where(
            ExperimentResult.experiment_id == exp.id, ExperimentResult.generation_id == gen.id
        )
    )
    if row is None:
        row = ExperimentResult(experiment_id=exp.id, variant=variant.name, generation_id=gen.id)
        s.add(row)
    row.run_id = gen.run_id
    row.successes, row.trials, row.value = successes, trials, value
    await s.flush()
    await evaluate(s, exp, cfg)


@dataclass
class Comparison:
    """The outcome of a statistical test between arm A and arm B."""

    test: str
    p_value: float
    a: float
    b: float
    n_a: int
    n_b: int


def compare_proportions(
    a_succ: int, a_trials: int, b_succ: int, b_trials: int, test: str = "fisher"
) -> Comparison:
    """Fisher's exact test (default) or a two-proportion z-test of two success rates."""
    pa = a_succ / a_trials if a_trials else 0.0
    pb = b_succ / b_trials if b_trials else 0.0
    if test == "z":
        pooled = (a_succ + b_succ) / max(1, a_trials + b_trials)
        se = float(np.sqrt(pooled * (1 - pooled) * (1 / max(1, a_trials) + 1 / max(1, b_trials))))
        p = 1.0 if se == 0 else float(2 * stats.norm.sf(abs(pa - pb) / se))
        return Comparison("two-proportion z", p, pa, pb, a_trials, b_trials)
    table = [[a_succ, a_trials - a_succ], [b_succ, b_trials - b_succ]]
    res = stats.fisher_exact(table, alternative="two-sided")
    return Comparison("fisher exact", float(res.pvalue), pa, pb, a_trials, b_trials)


def design_effect(samples: list[tuple[int, int]]) -> float:
    """Variance inflation from testing per test when tests come in generations (clusters).

    Tests of one generation share an app state and a strategy, so they are not independent;
    the Rao-Scott design effect (cluster-robust variance / binomial variance, at least 1)
    shrinks the counts to an effective sample size before the test.
    """
    k = len(samples)
    n = sum(t for _, t in samples)
    if k < 2 or n == 0:
        return 1.0
    p = sum(s for s, _ in samples) / n
    if p in {0.0, 1.0}:
        return 1.0
    var_cluster = k / (k - 1) * sum((s - p * t) ** 2 for s, t in samples) / n**2
    var_binomial = p * (1 - p) / n
    return max(1.0, var_cluster / var_binomial)


def compare_clustered(
    a: list[tuple[int, int]], b: list[tuple[int, int]], test: str = "fisher"
) -> Comparison:
    """Compare two arms' (successes, trials) per generation, corrected for clustering."""
    deff = max(design_effect(a), design_effect(b))
    sa, na = sum(s for s, _ in a), sum(t for _, t in a)
    sb, nb = sum(s for s, _ in b), sum(t for _, t in b)
    cmp = compare_proportions(
        round(sa / deff), max(1, round(na / deff)), round(sb / deff), max(1, round(nb / deff)), test
    )
    # Report the observed rates, not the shrunk ones.
    cmp.a = sa / na if na else 0.0
    cmp.b = sb / nb if nb else 0.0
    cmp.n_a, cmp.n_b = na, nb
    cmp.test += f" (design effect {deff:.2f})"
    return cmp


def compare_values(a: list[float], b: list[float]) -> Comparison:
    """Mann-Whitney U test of two samples (ratings, rewards)."""
    if not a or not b or len(set(a) | set(b)) < 2:
        p = 1.0
    else:
        p = float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)
    mean_a = float(np.mean(a)) if a else 0.0
    mean_b = float(np.mean(b)) if b else 0.0
    return Comparison("mann-whitney u", p, mean_a, mean_b, len(a), len(b))


async def arm_figures(s: AsyncSession, exp: Experiment) -> dict[str, dict[str, Any]]:
    """Per arm: samples, successes, trials and the values (for listings and the test)."""
    rows = (
        await s.scalars(select(ExperimentResult).where(ExperimentResult.experiment_id == exp.id))
    ).all()
    out: dict[str, dict[str, Any]] = {
        v: {"samples": 0, "successes": 0, "trials": 0, "values": [], "pairs": []}
        for v in exp.variants
    }
    for r in rows:
        if r.variant not in out:
            continue
        f = out[r.variant]
        has_value = r.value is not None
        if exp.metric in PROPORTIONS:
            if r.trials <= 0:
                continue
        elif not has_value:
            continue
        f["samples"] += 1
        f["successes"] += r.successes
        f["trials"] += r.trials
        f["pairs"].append((r.successes, r.trials))
        if has_value:
            f["values"].append(float(r.value))  # type: ignore[arg-type]
    return out


async def evaluate(
    s: AsyncSession, exp: Experiment, cfg: LearningConfig | None = None
) -> Comparison | None:
    """Test the experiment once every arm has enough samples; promote a significant winner."""
    if exp.status != "running":
        return None
    figs = await arm_figures(s, exp)
    if any(f["samples"] < exp.min_samples for f in figs.values()):
        return None
    a_name, b_name = exp.variants
    fa, fb = figs[a_name], figs[b_name]
    if exp.metric in PROPORTIONS:
        cmp = compare_clustered(fa["pairs"], fb["pairs"])
    else:
        cmp = compare_values(fa["values"], fb["values"])
    alpha = 1.0 - exp.confidence
    winner: str | None = None
    if cmp.p_value < alpha and cmp.a != cmp.b:
        winner = a_name if cmp.a > cmp.b else b_name
    exp.status = "concluded"
    exp.concluded_at = datetime.now(UTC)
    exp.p_value = cmp.p_value
    exp.winner = winner
    exp.result = {
        "test": cmp.test,
        "p_value": cmp.p_value,
        "alpha": alpha,
        a_name: {"value": cmp.a, "samples": fa["samples"], "n": cmp.n_a},
        b_name: {"value": cmp.b, "samples": fb["samples"], "n": cmp.n_b},
        "verdict": f"{winner} wins" if winner else "no significant difference",
    }
    if winner is not None:
        await promote(s, exp.agent, winner, f"won experiment {exp.name!r} (p={cmp.p_value:.4g})")
    log.info("experiment %s concluded: %s", exp.name, exp.result["verdict"])
    return cmp


async def promote(s: AsyncSession, agent: str, name: str, why: str) -> None:
    """Make `name` the agent's champion (the rollback target and tie-breaker); record it."""
    await s.execute(
        update(StrategyVariant).where(StrategyVariant.agent == agent).values(is_default=False)
    )
    await s.execute(
        update(StrategyVariant)
        .where(StrategyVariant.agent == agent, StrategyVariant.name == name)
        .values(is_default=True, active=True)
    )
    from qaforge.learn.monitor import record_event

    record_event(s, "promote", agent, name, why)
    await s.flush()


async def list_experiments(s: AsyncSession) -> list[dict[str, Any]]:
    """Every experiment with its per-arm figures."""
    exps = (await s.scalars(select(Experiment).order_by(Experiment.id))).all()
    out: list[dict[str, Any]] = []
    for e in exps:
        figs = await arm_figures(s, e)
        arms = {}
        for v, f in figs.items():
            if e.metric in PROPORTIONS:
                value = f["successes"] / f["trials"] if f["trials"] else None
            else:
                value = float(np.mean(f["values"])) if f["values"] else None
            arms[v] = {"samples": f["samples"], "value": value}
        out.append(
            {
                "id": e.id,
                "name": e.name,
                "agent": e.agent,
                "app": e.app,
                "variants": e.variants,
                "split": e.split,
                "traffic": e.traffic,
                "metric": e.metric,
                "min_samples": e.min_samples,
                "confidence": e.confidence,
                "status": e.status,
                "winner": e.winner,
                "p_value": e.p_value,
                "arms": arms,
                "verdict": (e.result or {}).get("verdict", ""),
            }
        )
    return out
