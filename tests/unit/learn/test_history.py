"""Outcomes per URL template are kept with each generation and raise the risk of weak spots."""

from __future__ import annotations

import json
from pathlib import Path

from qaforge.learn.config import LearningConfig
from qaforge.learn.history import load_history
from qaforge.learn.simulate import synthetic_summary
from qaforge.learn.tracking import GenerationRecord, record_generation, record_outcomes
from qaforge.store.database import Database

TESTS = [
    ("test_cart.py::test_cart_loads", "/cart", "failed"),
    ("test_cart.py::test_cart_total", "/cart", "app-defect"),
    ("test_cart.py::test_cart_again", "/cart", "passed"),
    ("test_home.py::test_home_loads", "/", "passed"),
]


def _suite(directory: Path) -> Path:
    directory.mkdir(parents=True)
    suite = {
        "directory": str(directory),
        "files": [],
        "tests": [
            {"test_id": t, "scenario_id": t, "file": t.split("::")[0], "function": t.split("::")[1],
             "kind": "page-loads", "template": template}
            for t, template, _ in TESTS
        ],
    }
    (directory / "suite.json").write_text(json.dumps(suite))
    return directory


async def test_history_per_template_from_recorded_outcomes(db: Database, tmp_path: Path) -> None:
    url = str(db.url)
    assert (await load_history(url, "shop")).template_rates("shop", "/cart") is None
    await record_generation(
        db, GenerationRecord(run_id="r1", app="shop", strategy="balanced",
                             suite_dir=str(_suite(tmp_path / "tests")))
    )
    results = {"results": [{"test_id": t, "outcome": o} for t, _, o in TESTS]}
    await record_outcomes(db, "r1", synthetic_summary(4, 2), results=results, config=LearningConfig())
    history = await load_history(url, "shop")
    assert history.template_rates("shop", "/cart") == (1 / 3, 1 / 3)
    assert history.template_rates("shop", "/") == (0.0, 0.0)
    assert history.template_rates("shop", "/nowhere") is None
    assert (await load_history(url, "other")).template_rates("other", "/cart") is None


async def test_an_unreadable_database_gives_an_empty_history(tmp_path: Path) -> None:
    history = await load_history(f"sqlite:///{tmp_path}/no/such/dir/q.db", "shop")
    assert history.template_rates("shop", "/cart") is None
