"""The selector: Thompson sampling (epsilon-greedy fallback), seeded, through the database."""

from __future__ import annotations

import numpy as np
import pytest

from qaforge.config import Settings
from qaforge.learn.config import LearningConfig
from qaforge.learn.selector import Arm, choose, choose_strategy, epsilon_pick, thompson_pick
from qaforge.learn.simulate import simulate_bandit, synthetic_summary
from qaforge.learn.variants import list_variants, register_variant
from qaforge.store.database import Database
from tests.unit.learn.helpers import share_chosen, synthetic_run

TRUE_RATES = {"balanced": 0.55, "strict": 0.7, "resilient": 0.9}


def test_thompson_is_deterministic_for_a_seed() -> None:
    arms = [Arm(1, "a", 3, 5), Arm(2, "b", 5, 3), Arm(3, "c", 1, 1)]
    a = [thompson_pick(arms, np.random.default_rng(7)).name for _ in range(5)]
    b = [thompson_pick(arms, np.random.default_rng(7)).name for _ in range(5)]
    assert a == b


def test_epsilon_greedy_tries_untried_then_exploits() -> None:
    arms = [Arm(1, "a", 9, 1, n=10), Arm(2, "b", 1, 1, n=0)]
    rng = np.random.default_rng(0)
    assert epsilon_pick(arms, rng, 0.0).name == "b"
    arms[1] = Arm(2, "b", 2, 8, n=10)
    picks = [epsilon_pick(arms, rng, 0.1).name for _ in range(500)]
    assert 0.9 < picks.count("a") / 500 < 1.0


@pytest.mark.parametrize("seed", range(5))
def test_in_memory_convergence_per_seed(seed: int) -> None:
    run = simulate_bandit(list(TRUE_RATES.values()), 300, np.random.default_rng(seed))
    assert run.share(2) > 0.8


async def test_selector_converges_to_best_variant_through_the_database(db: Database) -> None:
    """Three variants with known true pass rates; synthetic outcomes recorded per round."""
    rng = np.random.default_rng(42)
    outcome_rng = np.random.default_rng(4242)
    settings = Settings(disable_learning=False)
    chosen: list[str] = []
    for i in range(300):
        c = await choose(db, "sim-app", settings, rng)
        chosen.append(c.name)
        passed = int(outcome_rng.binomial(10, TRUE_RATES[c.name]))
        await synthetic_run(db, "sim-app", f"run-{i}", c, passed)
    share = chosen.count("resilient") / len(chosen)
    assert share > 0.8, share
    async with db.session() as s:
        variants = {v.name: v for v in await list_variants(s, "evolution")}
    assert variants["resilient"].usage_count == chosen.count("resilient")
    assert variants["resilient"].avg_pass_rate == pytest.approx(0.9, abs=0.05)
    # The monitor must not have switched a variant off on noise alone.
    assert all(v.active for v in variants.values())


async def test_learning_disabled_uses_the_default(db: Database) -> None:
    rng = np.random.default_rng(0)
    c = await choose(db, "app", Settings(disable_learning=True), rng)
    assert (c.name, c.variant_id, c.method) == ("balanced", None, "default")
    name, vid = await choose_strategy(db, "app", Settings(disable_learning=False), rng)
    assert vid is not None and name in TRUE_RATES


async def test_per_kind_selection_uses_that_kinds_reward(db: Database) -> None:
    """A variant good at forms but bad at pages wins for forms only."""
    from qaforge.learn.tracking import GenerationRecord, record_generation, record_outcomes

    cfg = LearningConfig()
    for i in range(12):
        for name, good in (("strict", "form-valid"), ("resilient", "page-loads")):
            async with db.session() as s:
                v = await register_variant(s, "evolution", name, {"name": name})
                vid = v.id
            await record_generation(
                db,
                GenerationRecord(
                    run_id=f"{name}-{i}", app="k", strategy=name, variant_id=vid, tests_generated=4
                ),
            )
            tests = [
                {"test_id": f"t{j}", "kind": kind}
                for j, kind in enumerate(["form-valid", "form-valid", "page-loads", "page-loads"])
            ]
            async with db.session() as s:
                from sqlalchemy import select

                from qaforge.store.learning_tables import TestGeneration

                g = await s.scalar(
                    select(TestGeneration).where(TestGeneration.run_id == f"{name}-{i}")
                )
                assert g is not None
                g.details = {**g.details, "tests": tests}
            results = {
                "results": [
                    {
                        "test_id": t["test_id"],
                        "outcome": "passed" if t["kind"] == good else "failed",
                    }
                    for t in tests
                ]
            }
            summary = synthetic_summary(4, 2)
            await record_outcomes(db, f"{name}-{i}", summary, cfg, results=results)
    async with db.session() as s:
        for v in await list_variants(s, "evolution"):
            if v.name not in {"strict", "resilient"}:
                v.active = False
    rng = np.random.default_rng(1)
    settings = Settings(disable_learning=False)
    forms = [(await choose(db, "k", settings, rng, kind="form-valid")).name for _ in range(50)]
    pages = [(await choose(db, "k", settings, rng, kind="page-loads")).name for _ in range(50)]
    assert forms.count("strict") > 45
    assert pages.count("resilient") > 45


async def test_a_new_app_starts_from_what_worked_on_other_apps(db: Database) -> None:
    rng = np.random.default_rng(3)
    outcome_rng = np.random.default_rng(33)
    settings = Settings(disable_learning=False)
    for i in range(60):
        c = await choose(db, "old-app", settings, rng)
        passed = int(outcome_rng.binomial(10, TRUE_RATES[c.name]))
        await synthetic_run(db, "old-app", f"old-{i}", c, passed)
    first = await choose(db, "new-app", settings, np.random.default_rng(0))
    assert first.method == "thompson+transfer"
    share = await share_chosen(db, "new-app", "resilient", draws=200, seed=5)
    assert share > 0.6, share
    # Without the transfer the new app starts from flat priors: about a third each.
    no_transfer = Settings(disable_learning=False, learning={"transfer_weight": 0})
    rng0 = np.random.default_rng(5)
    picks = [(await choose(db, "new-app", no_transfer, rng0)).name for _ in range(200)]
    assert picks.count("resilient") / 200 < 0.5
    # Once the new app has evidence of its own, its own evidence decides.
    c = await choose(db, "new-app", settings, rng)
    await synthetic_run(db, "new-app", "new-0", c, 5)
    assert (await choose(db, "new-app", settings, rng)).method == "thompson"
