"""Pattern library: mined from high-reward generations, applied to later ones."""

from __future__ import annotations

import numpy as np

from qaforge.config import Settings
from qaforge.learn.config import LearningConfig
from qaforge.learn.patterns import apply_patterns, features_of_model, list_patterns
from qaforge.learn.selector import StrategyChoice, choose
from qaforge.learn.tracking import GenerationRecord, record_generation, record_outcomes
from qaforge.learn.variants import get_variant, seed_variants
from qaforge.models import (
    AppModel,
    Element,
    Form,
    FormField,
    State,
    Target,
)
from qaforge.store.database import Database
from tests.unit.learn.helpers import summary_with


def _model() -> AppModel:
    button = Element(id="e1", role="button", name="Add", attributes={"data-testid": "add"})
    link = Element(id="e2", role="link", name="Home")
    login = Form(id="f1", fields=[FormField(name="password", type="password")])
    return AppModel(
        target=Target(url="http://x"),
        states=[
            State(
                id="s1",
                url="http://x/",
                url_template="/",
                elements=[button, link],
                forms=[login],
                stable_texts=["Hi"],
                visible_texts=["Hi", "12:00"],
            )
        ],
    )


def test_features_of_a_model() -> None:
    f = features_of_model(_model())
    assert f == {
        "testid_share": 0.5,
        "has_testids": True,
        "password_form": True,
        "volatile_text": True,
        "client_side": False,
    }


async def _gen(db: Database, run_id: str, name: str, passed: int) -> None:
    async with db.session() as s:
        await seed_variants(s)
        v = await get_variant(s, "evolution", name)
        assert v is not None
        params = dict(v.parameters)
    await record_generation(
        db,
        GenerationRecord(
            run_id=run_id,
            app="shop",
            strategy=name,
            variant_id=v.id,
            tests_generated=10,
            features=features_of_model(_model()),
            parameters=params,
        ),
    )
    await record_outcomes(db, run_id, summary_with(passed=passed), config=LearningConfig())


async def test_mined_pattern_is_applied_to_later_generations(db: Database) -> None:
    for i in range(4):
        await _gen(db, f"r{i}", "resilient", 10)  # test ids first, waits for load: high reward
        await _gen(db, f"b{i}", "balanced", 3)  # role first, auto waits: low reward
    async with db.session() as s:
        pats = {(p.key, p.app): p for p in await list_patterns(s)}
    testid = pats[("prefer-test-id", "shop")]
    assert testid.success_rate == 1.0 and testid.trials == 4
    assert testid.evidence["without"]["success_rate"] == 0.0
    assert ("prefer-test-id", "") in pats  # across apps too
    async with db.session() as s:
        v = await get_variant(s, "evolution", "balanced")
        assert v is not None
        params, applied = await apply_patterns(s, "shop", dict(v.parameters))
    assert "prefer-test-id" in applied
    assert params["locator_priority"][0] == "test_id"
    rng = np.random.default_rng(0)
    c: StrategyChoice = await choose(db, "shop", Settings(), rng)
    assert c.parameters["locator_priority"][0] == "test_id"
    async with db.session() as s:
        pats2 = {(p.key, p.app): p for p in await list_patterns(s)}
    assert pats2[("prefer-test-id", "shop")].times_applied >= 1


async def test_no_pattern_without_enough_evidence(db: Database) -> None:
    await _gen(db, "r0", "resilient", 10)
    async with db.session() as s:
        assert await list_patterns(s) == []


async def test_no_pattern_when_it_does_not_beat_the_rest(db: Database) -> None:
    for i in range(4):
        await _gen(db, f"r{i}", "resilient", 10)
        await _gen(db, f"b{i}", "balanced", 10)
    async with db.session() as s:
        keys = {p.key for p in await list_patterns(s)}
    assert "prefer-test-id" not in keys
