"""A/B experiments: the right winner at the configured confidence, and none between equals."""

from __future__ import annotations

import numpy as np
import pytest

from qaforge.config import Settings
from qaforge.learn.config import LearningConfig
from qaforge.learn.experiments import (
    ExperimentError,
    compare_clustered,
    compare_values,
    create_experiment,
    design_effect,
    list_experiments,
)
from qaforge.learn.monitor import events
from qaforge.learn.selector import choose
from qaforge.learn.simulate import ab_trial
from qaforge.learn.variants import get_variant, seed_variants
from qaforge.store.database import Database
from tests.unit.learn.helpers import synthetic_run


def test_false_positive_rate_between_equal_variants_is_under_five_percent() -> None:
    trials = 600
    for rate in (0.6, 0.85):
        wins = sum(
            ab_trial(rate, rate, 20, np.random.default_rng(1000 + seed)) is not None
            for seed in range(trials)
        )
        assert wins / trials < 0.05, (rate, wins / trials)


def test_power_declares_the_better_variant() -> None:
    verdicts = [ab_trial(0.6, 0.85, 20, np.random.default_rng(seed)) for seed in range(200)]
    assert verdicts.count("b") / 200 > 0.9
    assert verdicts.count("a") == 0


def test_design_effect_grows_with_clustered_outcomes() -> None:
    independent = [(7, 10)] * 20
    clustered = [(10, 10)] * 14 + [(0, 10)] * 6
    assert design_effect(independent) == 1.0
    assert design_effect(clustered) > 5
    # Same pooled rates (70% vs 50%), but all-or-nothing generations carry less evidence.
    a = [(7, 10)] * 20
    b = [(5, 10)] * 20
    assert compare_clustered(a, b).p_value < 0.01
    a_c = [(10, 10)] * 14 + [(0, 10)] * 6
    b_c = [(10, 10)] * 10 + [(0, 10)] * 10
    assert compare_clustered(a_c, b_c).p_value > 0.05


def test_mann_whitney_for_ratings() -> None:
    assert compare_values([5, 4, 5, 5, 4, 5, 4, 5], [2, 1, 2, 3, 2, 1, 2, 2]).p_value < 0.01
    assert compare_values([3, 3, 3], [3, 3, 3]).p_value == 1.0


async def test_experiment_through_selection_declares_the_right_winner(db: Database) -> None:
    async with db.session() as s:
        await seed_variants(s)
        await create_experiment(
            s, "strict-vs-resilient", ["strict", "resilient"], app="shop", min_samples=15, config=LearningConfig()
        )
    rng = np.random.default_rng(3)
    outcome_rng = np.random.default_rng(33)
    true = {"strict": 0.6, "resilient": 0.85}
    settings = Settings(disable_learning=False)
    for i in range(80):
        c = await choose(db, "shop", settings, rng)
        if c.method != "experiment":
            break
        await synthetic_run(db, "shop", f"r{i}", c, int(outcome_rng.binomial(10, true[c.name])))
    async with db.session() as s:
        (exp,) = await list_experiments(s)
        champion = await get_variant(s, "evolution", "resilient")
        promoted = await events(s, "promote")
    assert exp["status"] == "concluded"
    assert exp["winner"] == "resilient"
    assert exp["p_value"] < 0.05
    assert all(a["samples"] >= 15 for a in exp["arms"].values())
    assert champion is not None and champion.is_default
    assert [e.variant for e in promoted] == ["resilient"]
    # Once concluded, runs go back to the bandit.
    c = await choose(db, "shop", settings, rng)
    assert c.method == "thompson"


async def test_equal_variants_conclude_without_a_winner(db: Database) -> None:
    async with db.session() as s:
        await seed_variants(s)
        await create_experiment(s, "a-a", ["balanced", "strict"], min_samples=15, config=LearningConfig())
    rng = np.random.default_rng(5)
    outcome_rng = np.random.default_rng(55)
    settings = Settings(disable_learning=False)
    for i in range(60):
        c = await choose(db, "any-app", settings, rng)
        if c.method != "experiment":
            break
        await synthetic_run(db, "any-app", f"r{i}", c, int(outcome_rng.binomial(10, 0.75)))
    async with db.session() as s:
        (exp,) = await list_experiments(s)
    assert exp["status"] == "concluded"
    assert exp["winner"] is None
    assert exp["verdict"] == "no significant difference"


async def test_traffic_share_leaves_runs_to_the_bandit(db: Database) -> None:
    async with db.session() as s:
        await seed_variants(s)
        await create_experiment(s, "small", ["balanced", "strict"], traffic=0.2, config=LearningConfig())
    rng = np.random.default_rng(9)
    methods = [(await choose(db, "x", Settings(), rng)).method for _ in range(300)]
    assert 0.12 < methods.count("experiment") / 300 < 0.28


async def test_bad_experiments_are_refused(db: Database) -> None:
    async with db.session() as s:
        await seed_variants(s)
        with pytest.raises(ExperimentError, match="unknown"):
            await create_experiment(s, "x", ["balanced", "nope"], config=LearningConfig())
        with pytest.raises(ExperimentError, match="two different"):
            await create_experiment(s, "x", ["balanced", "balanced"], config=LearningConfig())
        with pytest.raises(ExperimentError, match="split"):
            await create_experiment(s, "x", ["balanced", "strict"], split=[0.9, 0.3], config=LearningConfig())
