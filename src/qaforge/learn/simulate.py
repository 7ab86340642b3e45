"""Synthetic outcomes for the selector and experiments (tests and benchmarks/learning.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qaforge.contracts.summary import CoverageFigures, RunSummary, TestCounts
from qaforge.learn.config import LearningConfig
from qaforge.learn.experiments import compare_clustered
from qaforge.learn.reward import Figures, reward
from qaforge.learn.selector import Arm, evidence, pick


def synthetic_summary(generated: int, passed: int, flaky: int = 0) -> RunSummary:
    """A run's summary as the Reporting agent builds it, for `generated` tests that ran."""
    tests = TestCounts(
        generated=generated,
        passed=passed,
        failed=generated - passed - flaky,
        flaky=flaky,
        quarantined=flaky,
    )
    denom = generated - flaky
    return RunSummary(
        target="http://synthetic.invalid/",
        tests=tests,
        pass_rate=passed / denom if denom else None,
        coverage=CoverageFigures(templates=1.0),
        executed=True,
    )


@dataclass
class BanditRun:
    """Which arm was chosen in each round."""

    choices: list[int]

    def share(self, arm: int, last: int | None = None) -> float:
        """Share of rounds (or of the last `last` rounds) that chose `arm`."""
        xs = self.choices[-last:] if last else self.choices
        return sum(1 for c in xs if c == arm) / len(xs)


def simulate_bandit(
    true_pass_rates: list[float],
    rounds: int,
    rng: np.random.Generator,
    cfg: LearningConfig | None = None,
    tests_per_generation: int = 10,
) -> BanditRun:
    """Each round: pick an arm, draw its tests' outcomes, fold the reward into its posterior."""
    cfg = cfg or LearningConfig()
    arms = [Arm(i, f"v{i}", cfg.prior_alpha, cfg.prior_beta) for i in range(len(true_pass_rates))]
    choices: list[int] = []
    for _ in range(rounds):
        arm = pick(arms, rng, cfg)
        i = int(arm.variant_id or 0)
        passed = int(rng.binomial(tests_per_generation, true_pass_rates[i]))
        r = reward(
            Figures(pass_rate=passed / tests_per_generation, flake_rate=0.0, heal_rate=0.0),
            cfg.weights,
        )
        arm.observe(r or 0.0, evidence(cfg, tests_per_generation))
        choices.append(i)
    return BanditRun(choices)


def ab_trial(
    rate_a: float,
    rate_b: float,
    samples: int,
    rng: np.random.Generator,
    confidence: float = 0.95,
    tests_per_generation: int = 10,
) -> str | None:
    """One fixed-horizon A/B test of pass rates: 'a', 'b' or None (no significant winner)."""
    a = rng.binomial(tests_per_generation, rate_a, size=samples)
    b = rng.binomial(tests_per_generation, rate_b, size=samples)
    cmp = compare_clustered(
        [(int(x), tests_per_generation) for x in a], [(int(x), tests_per_generation) for x in b]
    )
    if cmp.p_value < 1.0 - confidence and cmp.a != cmp.b:
        return "a" if cmp.a > cmp.b else "b"
    return None
