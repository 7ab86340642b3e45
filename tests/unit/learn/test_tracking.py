"""Recording generations (with a snapshot of what was written) and writing outcomes back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from qaforge.config import Settings
from qaforge.contracts.generation import GenerationRecord as TaskRecord
from qaforge.contracts.generation import GenerationRecorder
from qaforge.generate.snapshot import SNAPSHOT_DIR, read_manifest
from qaforge.learn.config import LearningConfig
from qaforge.learn.recorder import make_recorder
from qaforge.learn.tracking import (
    GenerationRecord,
    record_generation,
    record_outcomes,
)
from qaforge.learn.variants import get_variant
from qaforge.store.database import Database
from qaforge.store.learning_tables import (
    AgentPerformance,
    GeneratedFile,
    TestGeneration,
    UserFeedback,
)
from tests.unit.learn.helpers import make_suite, summary_with


async def test_generation_is_recorded_with_a_snapshot(db: Database, tmp_path: Path) -> None:
    suite = make_suite(tmp_path / "tests")
    gid = await record_generation(
        db,
        GenerationRecord(
            run_id="run-1", app="shop", strategy="strict", suite_dir=str(suite), duration_s=1.5
        ),
    )
    async with db.session() as s:
        gen = await s.get(TestGeneration, gid)
        files = (await s.scalars(select(GeneratedFile))).all()
        strict = await get_variant(s, "evolution", "strict")
    assert gen is not None and strict is not None
    assert gen.variant_id == strict.id and strict.usage_count == 1
    assert gen.tests_generated == 2 and gen.scenario_kinds == ["page-loads"]
    assert gen.tokens == 0 and gen.duration_s == 1.5
    assert gen.details["strategy_params"]["assertion_strictness"] == "strict"
    assert [f.path for f in files] == ["test_shop.py"]
    snap = suite / SNAPSHOT_DIR / "test_shop.py.snapshot"
    assert snap.read_text() == (suite / "test_shop.py").read_text()
    manifest = read_manifest(suite)
    assert manifest is not None and manifest["run_id"] == "run-1"
    assert manifest["generation_id"] == gid


async def test_outcomes_are_written_back(db: Database) -> None:
    await record_generation(
        db, GenerationRecord(run_id="run-2", app="shop", strategy="balanced", tests_generated=10)
    )
    (gid,) = await record_outcomes(db, "run-2", summary_with(passed=6, flaky=2), config=LearningConfig())
    async with db.session() as s:
        gen = await s.get(TestGeneration, gid)
        system = (
            await s.scalars(select(UserFeedback).where(UserFeedback.source == "system"))
        ).all()
        v = await get_variant(s, "evolution", "balanced")
    assert gen is not None and v is not None
    assert (gen.passed, gen.failed, gen.flaky, gen.quarantined) == (6, 2, 2, 2)
    assert gen.pass_rate == pytest.approx(0.75) and gen.flake_rate == pytest.approx(0.2)
    assert gen.reward is not None and 0 < gen.reward < 1
    assert gen.outcome_at is not None
    assert {r.signal: r.value for r in system} == {
        "pass_rate": 0.75,
        "flake_rate": 0.2,
        "heal_rate": 0.0,
    }
    assert v.outcome_count == 1 and v.avg_reward == pytest.approx(gen.reward)
    # Writing back twice (a resumed run) replaces, never duplicates.
    await record_outcomes(db, "run-2", summary_with(passed=8), config=LearningConfig())
    async with db.session() as s:
        n = len((await s.scalars(select(UserFeedback))).all())
    assert n == 3


async def test_outcomes_of_an_unknown_run_update_nothing(db: Database) -> None:
    assert await record_outcomes(db, "nope", summary_with(passed=1), config=LearningConfig()) == []


async def test_a_suite_written_but_not_run_teaches_nothing(db: Database) -> None:
    """`--lang ts` writes a suite and does not run it: no 0 % pass rate for its strategy."""
    await record_generation(
        db, GenerationRecord(run_id="run-ts", app="shop", strategy="balanced", tests_generated=10)
    )
    written = summary_with(passed=0).model_copy(update={"executed": False, "pass_rate": None})
    assert await record_outcomes(db, "run-ts", written, config=LearningConfig()) == []
    async with db.session() as s:
        (gen,) = (await s.scalars(select(TestGeneration))).all()
        v = await get_variant(s, "evolution", "balanced")
    assert gen.outcome_at is None and gen.pass_rate is None
    assert v is not None and v.outcome_count == 0


async def test_recorder_hook_records_evolve_tasks_only(db: Database, tmp_path: Path) -> None:
    suite = make_suite(tmp_path / "out" / "tests")
    rec = make_recorder(Settings(database_url=db.url))
    assert isinstance(rec, GenerationRecorder)

    def task(task_type: str, ok: bool = True, agent_type: str = "evolution") -> TaskRecord:
        return TaskRecord(
            run_id="run-3",
            task_id=f"t-{task_type}-{ok}",
            task_type=task_type,
            agent="a",
            agent_type=agent_type,
            ok=ok,
            started_at=datetime.now(UTC),
            duration_s=2.0,
            request={"strategy": "resilient", "app": "shop", "out_dir": str(tmp_path / "out")},
            result={"suite_path": str(suite / "suite.json")},
        )

    await rec.record(task("observe", agent_type="observation"))
    await rec.record(task("evolve", ok=False))
    await rec.record(task("evolve"))
    async with db.session() as s:
        gens = (await s.scalars(select(TestGeneration))).all()
    assert [(g.run_id, g.strategy, g.app, g.tests_generated, g.duration_s) for g in gens] == [
        ("run-3", "resilient", "shop", 2, 2.0)
    ]
    # Redelivered (at-least-once bus): still one generation.
    await rec.record(task("evolve"))
    async with db.session() as s:
        assert len((await s.scalars(select(TestGeneration))).all()) == 1
        perf = (await s.scalars(select(AgentPerformance))).all()
    # The crawl task counted for its agent type's day.
    assert [(p.agent, p.variant, p.generations, p.duration_s) for p in perf] == [
        ("observation", "", 1, 2.0)
    ]


async def test_recorder_never_raises(tmp_path: Path) -> None:
    rec = make_recorder(Settings(database_url=f"sqlite:///{tmp_path}/no/such/dir/../../x.db"))
    bad = TaskRecord(
        run_id="r",
        task_id="t",
        task_type="evolve",
        agent="a",
        agent_type="evolution",
        ok=True,
        started_at=datetime.now(UTC),
        duration_s=0.0,
        request={"strategy_params": {"x": 1}},
        result={"suite_path": str(tmp_path / "missing" / "suite.json")},
    )
    await rec.record(bad)  # logs, does not raise


def test_a_strategy_is_judged_without_the_page_checks_every_strategy_writes_alike() -> None:
    from qaforge.contracts.summary import RunSummary, TestCounts
    from qaforge.learn.reward import rates_from_summary
    from qaforge.learn.tracking import judged_summary

    pages = [{"test_id": f"test_page_checks.py::test_page_answers[p{i}]", "kind": "page-answers"}
             for i in range(4)]
    browser = [{"test_id": f"test_shop.py::test_{i}", "kind": "page-loads"} for i in range(6)]
    outcomes = ["passed"] * 4 + ["passed"] * 4 + ["flaky"] * 2
    results = {
        "suite_dir": "/s",
        "results": [
            {"test_id": t["test_id"], "outcome": o}
            for t, o in zip(pages + browser, outcomes, strict=True)
        ],
    }
    summary = RunSummary(
        target="http://x/",
        executed=True,
        tests=TestCounts(generated=10, passed=8, flaky=2),
        pass_rate=0.8,
    )
    judged = judged_summary(summary, results, {"tests": pages + browser})
    assert judged.tests == TestCounts(generated=6, passed=4, flaky=2)
    assert judged.pass_rate == round(4 / 6, 4)
    assert rates_from_summary(judged)["flake_rate"] == 2 / 6  # not 2 / 10
    # Nothing to leave out, or no per-test results: the run's own figures.
    assert judged_summary(summary, results, {"tests": browser}) is summary
    assert judged_summary(summary, None, {"tests": pages + browser}) is summary
