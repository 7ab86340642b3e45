"""Each feedback source end to end: CLI → database → the selector's preference moves."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from typer.testing import CliRunner

from qaforge.cli import app
from qaforge.learn.config import LearningConfig
from qaforge.learn.feedback import record_system_metric
from qaforge.learn.selector import StrategyChoice
from qaforge.learn.sync import function_source
from qaforge.learn.variants import get_variant, list_variants, seed_variants
from qaforge.store.database import Database
from tests.unit.learn.helpers import TEST_FILE, make_suite, share_chosen, synthetic_run

T = TypeVar("T")
RUNS = 4
runner = CliRunner()


def with_db(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work` against the database in a loop of its own (the CLI uses asyncio.run too)."""

    async def go() -> T:
        db = Database(url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "QAFORGE_HOME": str(tmp_path / "home"),
        "QAFORGE_DATABASE_URL": f"sqlite:///{tmp_path / 'home' / 'qaforge.db'}",
        "COLUMNS": "200",  # Rich wraps at the terminal width; keep messages on one line
    }


def cli(env: dict[str, str], *args: str) -> Any:
    return runner.invoke(app, list(args), env=env)


@pytest.fixture
def history(env: dict[str, str], tmp_path: Path) -> dict[str, list[str]]:
    """Two competing variants with identical outcomes on app "shop", each run with a suite."""
    url = env["QAFORGE_DATABASE_URL"]

    async def work(db: Database) -> dict[str, list[str]]:
        from qaforge.learn.store import ensure_tables

        await ensure_tables(db)
        async with db.session() as s:
            await seed_variants(s)
            for v in await list_variants(s, "evolution"):
                v.active = v.name in {"strict", "resilient"}
        runs: dict[str, list[str]] = {"strict": [], "resilient": []}
        for name in runs:
            async with db.session() as s:
                v = await get_variant(s, "evolution", name)
                assert v is not None
                choice = StrategyChoice(name=name, variant_id=v.id)
            for i in range(RUNS):
                run_id = f"{name}-{i}"
                suite = make_suite(tmp_path / "runs" / run_id / "tests", name)
                await synthetic_run(db, "shop", run_id, choice, 2, 2, suite_dir=suite)
                runs[name].append(run_id)
        return runs

    return with_db(url, work)


def share(env: dict[str, str], name: str) -> float:
    return with_db(env["QAFORGE_DATABASE_URL"], lambda db: share_chosen(db, "shop", name))


def test_explicit_ratings_steer_selection(
    env: dict[str, str], history: dict[str, list[str]]
) -> None:
    before = share(env, "resilient")
    assert 0.2 < before < 0.8
    for run_id in history["strict"]:
        r = cli(
            env,
            "feedback",
            run_id,
            "--rating",
            "1",
            "--quality",
            "2",
            "--comment",
            "flaky, mail me at someone@example.com",
            "--user",
            "u1",
        )
        assert r.exit_code == 0, r.output
    for run_id in history["resilient"]:
        r = cli(env, "feedback", run_id, "--rating", "5", "--coverage", "4", "--json")
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["rating"] == 5
    r = cli(
        env,
        "feedback",
        history["resilient"][0],
        "--rating",
        "4",
        "--test",
        "test_shop.py::test_home_loads",
    )
    assert r.exit_code == 0, r.output
    assert share(env, "resilient") > max(0.7, before + 0.2)
    r = cli(env, "strategies", "--json")
    figs = {v["name"]: v for v in json.loads(r.stdout)["variants"] if v["agent"] == "evolution"}
    assert figs["strict"]["rating"] == 1.0 and figs["resilient"]["rating"] == pytest.approx(4.8)

    async def comments(db: Database) -> list[str | None]:
        from sqlalchemy import select

        from qaforge.store.learning_tables import UserFeedback

        async with db.session() as s:
            return [f.comment for f in (await s.scalars(select(UserFeedback))).all() if f.comment]

    stored = with_db(env["QAFORGE_DATABASE_URL"], comments)
    assert stored and all("example.com" not in c and "[email]" in c for c in stored if c)


def test_explicit_feedback_bad_input(env: dict[str, str], history: dict[str, list[str]]) -> None:
    r = cli(env, "feedback", "strict-0", "--rating", "7")
    assert r.exit_code == 2 and "rating must be 1 to 5" in r.output
    r = cli(env, "feedback", "no-such-run", "--rating", "3")
    assert r.exit_code == 2 and "no generation recorded" in r.output
    r = cli(env, "feedback", "strict-0", "--rating", "3", "--test", "test_nope.py::x")
    assert r.exit_code == 2 and "has no test" in r.output
    assert "Traceback" not in r.output


def test_implicit_edits_and_deletions_steer_selection(
    env: dict[str, str], history: dict[str, list[str]], tmp_path: Path
) -> None:
    before = share(env, "resilient")
    for i, run_id in enumerate(history["strict"]):
        tests = tmp_path / "runs" / run_id / "tests"
        if i % 2:
            (tests / "test_shop.py").unlink()  # the user threw the tests away
        else:
            src = function_source(TEST_FILE, "test_cart_loads")
            assert src is not None
            edited = TEST_FILE.replace(src, "").replace('"Welcome"', '"Welcome to the shop"')
            (tests / "test_shop.py").write_text(edited)
        r = cli(env, "sync", str(tests), "--json")
        assert r.exit_code == 0, r.output
        out = json.loads(r.stdout)
        assert out["run_id"] == run_id
        assert out["counts"] == (
            {"kept": 0, "edited": 0, "deleted": 2}
            if i % 2
            else {"kept": 0, "edited": 1, "deleted": 1}
        )
    for run_id in history["resilient"]:
        r = cli(env, "sync", str(tmp_path / "runs" / run_id / "tests"))
        assert r.exit_code == 0, r.output
        assert "kept 2, edited 0, deleted 0" in r.output
    # A second sync with nothing changed records nothing new.
    r = cli(env, "sync", str(tmp_path / "runs" / history["resilient"][0] / "tests"), "--json")
    assert json.loads(r.stdout)["recorded"] == 0
    assert share(env, "resilient") > max(0.7, before + 0.2)


def test_sync_finds_the_generation_without_the_snapshot(
    env: dict[str, str], history: dict[str, list[str]], tmp_path: Path
) -> None:
    tests = tmp_path / "runs" / history["strict"][0] / "tests"
    shutil.rmtree(tests / ".qaforge")  # content is in the database too
    (tests / "test_shop.py").write_text(TEST_FILE.replace("/cart", "/basket"))
    r = cli(env, "sync", str(tests), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["counts"] == {"kept": 1, "edited": 1, "deleted": 0}
    r = cli(env, "sync", str(tmp_path))
    assert r.exit_code == 2 and "no recorded generation" in r.output


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="3">
<testcase classname="tests.test_shop" name="test_home_loads[chromium]" time="1.0">{home}</testcase>
<testcase classname="tests.test_shop" name="test_cart_loads[chromium]" time="1.0">{cart}</testcase>
<testcase classname="tests.test_other" name="test_handwritten" time="1.0"/>
</testsuite></testsuites>"""


def test_ci_results_steer_selection(
    env: dict[str, str], history: dict[str, list[str]], tmp_path: Path
) -> None:
    failing = JUNIT.format(home='<failure message="x"/>', cart="<error message='y'/>")
    passing = JUNIT.format(home="", cart="")
    (tmp_path / "fail.xml").write_text(failing)
    (tmp_path / "pass.xml").write_text(passing)
    for run_id in history["strict"]:
        r = cli(env, "import-results", str(tmp_path / "fail.xml"), "--run", run_id, "--json")
        assert r.exit_code == 0, r.output
        out = json.loads(r.stdout)
        assert out["counts"] == {"passed": 0, "failed": 2, "skipped": 0}
        assert out["unmatched"] == ["tests.test_other::test_handwritten"]
    for run_id in history["resilient"]:
        r = cli(env, "import-results", str(tmp_path / "pass.xml"), "--run", run_id)
        assert r.exit_code == 0, r.output
        assert "2 passed, 0 failed" in r.output
    assert share(env, "resilient") > 0.75
    (tmp_path / "bad.xml").write_text("<html>nope")
    r = cli(env, "import-results", str(tmp_path / "bad.xml"), "--run", "strict-0")
    assert r.exit_code == 2 and "not readable JUnit XML" in r.output
    r = cli(env, "import-results", str(tmp_path / "missing.xml"), "--run", "strict-0")
    assert r.exit_code == 2


def test_system_metrics_steer_selection(env: dict[str, str], history: dict[str, list[str]]) -> None:
    async def work(db: Database) -> None:
        for run_id in history["strict"]:
            await record_system_metric(db, run_id, "mutation_score", 0.1, config=LearningConfig())
        for run_id in history["resilient"]:
            await record_system_metric(db, run_id, "mutation_score", 0.9, config=LearningConfig())

    with_db(env["QAFORGE_DATABASE_URL"], work)
    assert share(env, "resilient") > 0.75


def test_listing_commands(env: dict[str, str], history: dict[str, list[str]]) -> None:
    r = cli(
        env,
        "experiments",
        "start",
        "s-vs-r",
        "--variants",
        "strict,resilient",
        "--app",
        "shop",
        "--min-samples",
        "5",
    )
    assert r.exit_code == 0, r.output
    r = cli(env, "experiments", "start", "bad", "--variants", "strict,nope")
    assert r.exit_code == 2 and "unknown evolution variant" in r.output
    r = cli(env, "experiments", "--json")
    (exp,) = json.loads(r.stdout)
    assert exp["name"] == "s-vs-r" and exp["status"] == "running"
    assert set(exp["arms"]) == {"strict", "resilient"}
    r = cli(env, "experiments")
    assert r.exit_code == 0 and "s-vs-r" in r.output
    r = cli(env, "experiments", "stop", "s-vs-r")
    assert r.exit_code == 0
    r = cli(env, "patterns")
    assert r.exit_code == 0 and "no pattern yet" in r.output
    r = cli(env, "strategies")
    assert r.exit_code == 0 and "resilient" in r.output and "breadth" in r.output
    r = cli(env, "strategies", "--check", "--json")
    data = json.loads(r.stdout)
    (perf,) = data["performance"]
    assert (perf["agent"], perf["tasks"], perf["tests"]) == ("evolution", 2 * RUNS, 4 * RUNS)
    assert data["events"] == []
    r = cli(env, "strategies", "--activate", "nope")
    assert r.exit_code == 2 and "unknown evolution variant" in r.output
