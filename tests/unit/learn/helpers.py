"""Helpers shared by the learning-loop tests: databases, fake suites, synthetic runs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np

from qaforge.config import Settings
from qaforge.contracts.summary import RunSummary
from qaforge.learn.config import LearningConfig
from qaforge.learn.selector import StrategyChoice, choose
from qaforge.learn.simulate import synthetic_summary
from qaforge.learn.store import ensure_tables
from qaforge.learn.tracking import GenerationRecord, record_generation, record_outcomes
from qaforge.store.database import Database


async def sqlite_db(path: Path) -> AsyncIterator[Database]:
    """A fresh SQLite file with the learning tables."""
    db = Database(f"sqlite:///{path}")
    await ensure_tables(db)
    yield db
    await db.dispose()


TEST_FILE = '''"""Generated."""

from playwright.sync_api import Page, expect


def test_home_loads(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()


def test_cart_loads(page: Page) -> None:
    page.goto("/cart")
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
'''


def make_suite(directory: Path, strategy: str = "balanced") -> Path:
    """A minimal generated suite (suite.json + one test file with two tests)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "test_shop.py").write_text(TEST_FILE, encoding="utf-8")
    suite = {
        "schema_version": 1,
        "directory": str(directory),
        "language": "python",
        "strategy": strategy,
        "files": ["test_shop.py"],
        "tests": [
            {
                "test_id": f"test_shop.py::{fn}",
                "scenario_id": fn,
                "file": "test_shop.py",
                "function": fn,
                "kind": kind,
            }
            for fn, kind in (("test_home_loads", "page-loads"), ("test_cart_loads", "page-loads"))
        ],
    }
    (directory / "suite.json").write_text(json.dumps(suite), encoding="utf-8")
    return directory


async def synthetic_run(
    db: Database,
    app: str,
    run_id: str,
    choice: StrategyChoice,
    passed: int,
    generated: int = 10,
    flaky: int = 0,
    cfg: LearningConfig | None = None,
    suite_dir: Path | None = None,
) -> int:
    """Record a generation for `choice` and its synthetic outcomes; returns the generation id."""
    gid = await record_generation(
        db,
        GenerationRecord(
            run_id=run_id,
            app=app,
            strategy=choice.name,
            variant_id=choice.variant_id,
            experiment_id=choice.experiment_id,
            tests_generated=None if suite_dir else generated,
            suite_dir=str(suite_dir) if suite_dir else None,
            parameters=choice.parameters or None,
        ),
    )
    summary = synthetic_summary(generated, passed, flaky)
    await record_outcomes(db, run_id, summary, cfg or LearningConfig())
    return gid


async def share_chosen(db: Database, app: str, name: str, draws: int = 200, seed: int = 0) -> float:
    """How often the selector picks `name` for `app` in `draws` seeded choices."""
    rng = np.random.default_rng(seed)
    settings = Settings(disable_learning=False)
    hits = 0
    for _ in range(draws):
        c = await choose(db, app, settings, rng)
        hits += c.name == name
    return hits / draws


def summary_with(passed: int, generated: int = 10, flaky: int = 0) -> RunSummary:
    """A synthetic run summary."""
    return synthetic_summary(generated, passed, flaky)
