"""Monitor: daily aggregates, and a seeded quality drop → alert, rollback, selection moves on."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select

from qaforge.config import Settings
from qaforge.learn.monitor import events
from qaforge.learn.selector import StrategyChoice, choose
from qaforge.learn.variants import get_variant, list_variants, seed_variants
from qaforge.store.database import Database
from qaforge.store.learning_tables import AgentPerformance
from qaforge.store.tables import AuditRow
from tests.unit.learn.helpers import synthetic_run


async def _choice(db: Database, name: str) -> StrategyChoice:
    async with db.session() as s:
        await seed_variants(s)
        v = await get_variant(s, "evolution", name)
        assert v is not None
        return StrategyChoice(name=name, variant_id=v.id, parameters=dict(v.parameters))


async def test_seeded_drop_alerts_and_rolls_back(db: Database) -> None:
    strict = await _choice(db, "strict")
    balanced = await _choice(db, "balanced")
    rng = np.random.default_rng(11)
    for i in range(10):  # both good for a while; strict is the champion's rival
        await synthetic_run(db, "m", f"b{i}", balanced, int(rng.binomial(10, 0.8)))
        await synthetic_run(db, "m", f"s{i}", strict, int(rng.binomial(10, 0.95)))
    async with db.session() as s:
        assert not await events(s, "alert")
    # The seeded drop: strict's tests now mostly fail and flake.
    for i in range(6):
        await synthetic_run(db, "m", f"d{i}", strict, int(rng.binomial(7, 0.2)), flaky=3)
    async with db.session() as s:
        alerts = await events(s, "alert")
        rollbacks = await events(s, "rollback")
        variants = {v.name: v for v in await list_variants(s, "evolution")}
    assert [a.variant for a in alerts] == ["strict"]
    assert alerts[0].details["drop"] > 0.2
    assert [(r.variant, r.replacement) for r in rollbacks] == [("strict", "balanced")]
    assert not variants["strict"].active
    assert variants["balanced"].is_default
    assert variants["strict"].baseline_reward == pytest.approx(alerts[0].details["baseline"])
    async with db.session() as s:
        audit = (
            await s.scalars(select(AuditRow).where(AuditRow.entity == "strategy_variant"))
        ).all()
    assert [(a.action, a.entity_id) for a in audit] == [
        ("alert", "evolution/strict"),
        ("rollback", "evolution/strict"),
    ]
    picks = [(await choose(db, "m", Settings(), rng)).name for _ in range(50)]
    assert "strict" not in picks


async def test_noise_without_a_drop_does_not_roll_back(db: Database) -> None:
    strict = await _choice(db, "strict")
    rng = np.random.default_rng(12)
    for i in range(40):
        await synthetic_run(db, "m", f"s{i}", strict, int(rng.binomial(10, 0.6)))
    async with db.session() as s:
        assert not await events(s, "rollback")
        v = await get_variant(s, "evolution", "strict")
        assert v is not None and v.active


async def test_daily_aggregates_per_agent_and_variant(db: Database) -> None:
    strict = await _choice(db, "strict")
    balanced = await _choice(db, "balanced")
    await synthetic_run(db, "m", "r1", strict, 10)
    await synthetic_run(db, "m", "r2", balanced, 5)
    async with db.session() as s:
        rows = {r.variant: r for r in (await s.scalars(select(AgentPerformance))).all()}
    today = dt.datetime.now(dt.UTC).date()
    assert set(rows) == {"", "strict", "balanced"}
    assert rows[""].generations == 2 and rows[""].day == today
    assert rows["strict"].avg_pass_rate == pytest.approx(1.0)
    assert rows[""].avg_pass_rate == pytest.approx(0.75)
    assert rows[""].tests_generated == 20
