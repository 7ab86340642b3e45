"""Healing against the demo shop's seeded faults: heal a renamed control, never a dead one."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.demoapp.launcher import DemoApp
from qaforge.execute.engine import combine, load_suite
from qaforge.execute.healer import Healer
from qaforge.execute.runner import run_pytest
from qaforge.models import AppModel, FailureClass, TestOutcome, TestResult

pytestmark = pytest.mark.browser

ADD_TEST = "test_items.py::test_add_to_cart_form_on_items_id_accepts_valid_data"


def run_items_against(
    suite_dir: Path, app: DemoApp, out: Path, heal: bool
) -> tuple[dict[str, TestResult], str]:
    suite = load_suite(suite_dir / "suite.json")
    suite.tests = [t for t in suite.tests if t.file == "test_items.py"]
    settings = Settings(home=out / "home")

    async def go() -> dict[str, TestResult]:
        run = await run_pytest(suite_dir, app.url, out, settings, 0, ["test_items.py"], 2)
        results, _ = combine(suite, [run], out)
        if heal:
            model = AppModel.load(suite_dir / "model.json")
            await Healer(settings, suite, model, app.url, out).heal_all(results)
        return {r.test_id: r for r in results}

    results = asyncio.run(go())
    return results, (suite_dir / "test_items.py").read_text()


@pytest.fixture()
def suite_copy(demo_suite_dir: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "tests"
    shutil.copytree(demo_suite_dir, dst)
    (dst / "quarantine.json").unlink(missing_ok=True)
    return dst


def test_renamed_control_is_healed_and_recorded(
    suite_copy: Path, demo_app_with_bug: Callable[[str], DemoApp], tmp_path: Path
) -> None:
    app = demo_app_with_bug("renamed-add-button")
    before = (suite_copy / "test_items.py").read_text()
    results, after = run_items_against(suite_copy, app, tmp_path / "out", heal=True)
    res = results[ADD_TEST]
    assert res.outcome == TestOutcome.HEALED, res.message
    heal = next(h for h in res.heals if h.accepted)
    assert "Add to cart" in heal.old_locator and "Add to basket" in heal.new_locator
    assert heal.score >= 0.6
    # Same assertions as before; only the action's locator changed.
    assert after.count("expect(") == before.count("expect(")
    assert 'name="Add to basket"' in after
    # The assertion that the page shows "Add to cart" was not rewritten into a false pass.
    assert 'expect(page.get_by_role("button", name="Add to cart"' in after


def test_dead_control_is_not_healed_into_a_false_pass(
    suite_copy: Path, demo_app_with_bug: Callable[[str], DemoApp], tmp_path: Path
) -> None:
    app = demo_app_with_bug("dead-add-button")
    before = (suite_copy / "test_items.py").read_text()
    results, after = run_items_against(suite_copy, app, tmp_path / "out", heal=True)
    res = results[ADD_TEST]
    assert res.outcome == TestOutcome.FAILED
    assert res.failure_class == FailureClass.ASSERTION_MISMATCH
    assert not any(h.accepted for h in res.heals)
    assert after == before
