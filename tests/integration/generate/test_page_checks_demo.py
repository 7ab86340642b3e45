"""The demo run's page checks, run by the engine: green on the healthy shop, red on item-500."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.demoapp.launcher import DemoApp
from qaforge.execute.engine import execute_suite, load_suite
from qaforge.models import FailureClass, ScenarioKind, TestOutcome

pytestmark = pytest.mark.browser


def test_page_checks_catch_item_pages_answering_500_and_nothing_else(
    demo_suite_dir: Path,
    demo_app_with_bug: Callable[[str], DemoApp],
    demo_credentials: None,
    tmp_path: Path,
) -> None:
    suite_dir = tmp_path / "tests"
    shutil.copytree(demo_suite_dir, suite_dir)
    suite = load_suite(suite_dir / "suite.json")
    suite.tests = [t for t in suite.tests if t.kind == ScenarioKind.PAGE_ANSWERS]
    suite.directory = str(suite_dir)
    for module in suite_dir.glob("test_*.py"):
        if module.name != "test_page_checks.py":
            module.unlink()  # the browser tests are the other tests' business
    (suite_dir / "suite.json").write_text(suite.model_dump_json(), encoding="utf-8")
    app = demo_app_with_bug("item-500")
    results = asyncio.run(
        execute_suite(
            suite_dir / "suite.json",
            app.url,
            tmp_path / "out",
            Settings(home=tmp_path / "home"),
            runs=1,
        )
    )
    by_id = {r.test_id: r for r in results.results}
    assert set(by_id) == {t.test_id for t in suite.tests}
    items = [t for t in by_id if "[items-" in t]
    assert items, sorted(by_id)
    for tid in items:
        assert by_id[tid].outcome == TestOutcome.APP_DEFECT, by_id[tid]
        assert by_id[tid].failure_class == FailureClass.APP_DEFECT
        assert "answered 500, not 200" in by_id[tid].message
    # The admin's pages pass too: the checks share the suite's login.
    others = {t: r.outcome for t, r in by_id.items() if t not in items}
    assert "test_page_checks.py::test_page_answers[admin]" in others
    assert set(others.values()) == {TestOutcome.PASSED}, others
