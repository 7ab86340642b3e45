"""The driver-facing calls: choose before generating, write back after; never fail a run."""

from __future__ import annotations

from pathlib import Path

from qaforge.config import Settings
from qaforge.learn.driver import (
    evolve_extras,
    finish_run,
    record_run_generation,
    strategy_for_run,
)
from qaforge.learn.tracking import GenerationRecord
from qaforge.learn.variants import register_variant
from qaforge.store.database import Database
from tests.unit.learn.helpers import summary_with


async def test_requested_strategy_is_used_with_its_variant(db: Database) -> None:
    settings = Settings(database_url=db.url)
    async with db.session() as s:
        await register_variant(s, "evolution", "mine", {"name": "mine", "wait_policy": "load"})
    c = await strategy_for_run(settings, "app", requested="mine")
    assert (c.name, c.method, c.parameters["wait_policy"]) == ("mine", "requested", "load")
    assert evolve_extras(c)["variant_id"] == c.variant_id is not None


async def test_auto_chooses_and_is_seeded(db: Database) -> None:
    settings = Settings(database_url=db.url)
    a = [(await strategy_for_run(settings, "app", seed=k)).name for k in range(5)]
    b = [(await strategy_for_run(settings, "app", "auto", seed=k)).name for k in range(5)]
    assert a == b
    off = await strategy_for_run(Settings(database_url=db.url, disable_learning=True), "app")
    assert (off.name, off.variant_id) == ("balanced", None)


async def test_record_and_finish_through_the_driver(db: Database) -> None:
    settings = Settings(database_url=db.url)
    gid = await record_run_generation(
        settings, GenerationRecord(run_id="r1", app="app", strategy="strict", tests_generated=10)
    )
    assert gid is not None
    assert await finish_run(settings, "r1", summary_with(passed=9)) == [gid]
    off = Settings(database_url=db.url, disable_learning=True)
    assert await finish_run(off, "r1", summary_with(passed=9)) == []


async def test_a_broken_database_does_not_fail_the_run(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'file' / 'db.sqlite'}")
    c = await strategy_for_run(settings, "app", seed=1)
    assert c.name == "balanced"
    assert await finish_run(settings, "r", summary_with(passed=1)) == []


async def test_the_learning_table_of_the_settings_weighs_the_recorded_reward(db: Database) -> None:
    """`[learning]` in qaforge.toml reaches the outcomes the driver writes back."""
    from sqlalchemy import select

    from qaforge.store.learning_tables import TestGeneration

    rewards = {}
    for run, weights in (("plain", {}), ("stable", {"pass_rate": 0.0, "no_heal": 0.0})):
        settings = Settings(database_url=db.url, learning={"weights": weights})
        await record_run_generation(
            settings, GenerationRecord(run_id=run, app="a", strategy="strict", tests_generated=10)
        )
        # 6 of 8 kept tests passed, 2 flaky: the pass rate pulls the reward down.
        assert await finish_run(settings, run, summary_with(passed=6, flaky=2))
        async with db.session() as s:
            gen = (
                await s.scalars(select(TestGeneration).where(TestGeneration.run_id == run))
            ).one()
            rewards[run] = gen.reward
    # Weighing only stability (1 - 0.2 flaky): 0.8; with the default weights the 0.75 pass
    # rate comes in too.
    assert rewards["stable"] == 0.8
    assert rewards["plain"] is not None and rewards["plain"] != rewards["stable"]
