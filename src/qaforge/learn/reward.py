"""The reward a generation earns: pass rate, stability, heals, ratings, CI and edit signals."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from qaforge.contracts.summary import RunSummary
from qaforge.learn.config import RewardWeights


class Figures(BaseModel):
    """The signals known about one generation; None where no signal arrived (yet)."""

    pass_rate: float | None = None
    flake_rate: float | None = None
    heal_rate: float | None = None
    rating: float | None = None  # mean of 1..5 ratings
    ci_pass_rate: float | None = None
    kept_score: float | None = None  # 1 kept as is .. 0 deleted
    mutation_score: float | None = None  # share of seeded faults the suite caught (benchmarks)


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))


def reward(fig: Figures, weights: RewardWeights | None = None) -> float | None:
    """A weighted mean in [0, 1] of the signals present; None when none is."""
    w = weights or RewardWeights()
    parts: list[tuple[float, float]] = []
    if fig.pass_rate is not None:
        parts.append((w.pass_rate, fig.pass_rate))
    if fig.flake_rate is not None:
        parts.append((w.stability, 1.0 - fig.flake_rate))
    if fig.heal_rate is not None:
        parts.append((w.no_heal, 1.0 - fig.heal_rate))
    if fig.rating is not None:
        parts.append((w.rating, (fig.rating - 1.0) / 4.0))
    if fig.ci_pass_rate is not None:
        parts.append((w.ci, fig.ci_pass_rate))
    if fig.kept_score is not None:
        parts.append((w.kept, fig.kept_score))
    if fig.mutation_score is not None:
        parts.append((w.mutation, fig.mutation_score))
    total = sum(wt for wt, _ in parts)
    if total <= 0:
        return None
    return round(_clip(sum(wt * _clip(v) for wt, v in parts) / total), 6)


def rates_from_summary(summary: RunSummary) -> dict[str, Any]:
    """Counts and rates of a run's summary (its tests, pass rate and coverage)."""
    t = summary.tests
    # Quarantined flaky tests appear in both counts; the larger one is the number of tests.
    unstable = max(t.flaky, t.quarantined)
    kept = t.generated - t.app_defects - t.quarantined
    pass_rate = summary.pass_rate
    if pass_rate is None:
        pass_rate = t.passed / kept if kept > 0 else 1.0
    cov_values = [v for v in summary.coverage.model_dump().values() if v is not None]
    # For learning, a flaky (quarantined) test is not a passing one: a suite whose tests were
    # all quarantined kept nothing, however the report's pass rate (architecture.md §6) reads.
    judged = t.generated - t.app_defects
    return {
        "stable_pass_rate": t.passed / judged if judged > 0 else 1.0,
        "generated": t.generated,
        "passed": t.passed,
        "failed": t.failed,
        "flaky": t.flaky,
        "healed": t.healed,
        "quarantined": t.quarantined,
        "app_defects": t.app_defects,
        "pass_rate": float(pass_rate),
        "flake_rate": unstable / t.generated if t.generated else 0.0,
        "heal_rate": t.healed / t.passed if t.passed else 0.0,
        "coverage": sum(cov_values) / len(cov_values) if cov_values else None,
        "kept_denominator": max(kept, 0),
    }
