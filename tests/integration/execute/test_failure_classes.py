"""Flake detection by reruns, and each failure class, on hand-written suites."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.demoapp.launcher import DemoApp
from qaforge.execute.engine import execute_suite
from qaforge.generate.conftest_py import conftest_source, pytest_ini
from qaforge.models import FailureClass, GeneratedTest, ScenarioKind, TestOutcome, TestSuite

pytestmark = pytest.mark.browser

TESTS = {
    "test_ok": 'page.goto("/catalogue")\n    expect(page.get_by_role("heading", name="Catalogue")).to_be_visible()',
    "test_broken_locator": 'page.goto("/catalogue")\n    page.get_by_role("button", name="Buy now").click()',
    "test_assertion": 'page.goto("/catalogue")\n    expect(page).to_have_url(re.compile("/nowhere$"))',
    "test_timeout": 'page.goto("/")\n    time.sleep(12)',
    "test_error": 'page.goto("/")\n    raise KeyError("bug in the test itself")',
    "test_server_error": 'page.goto("/items/1")\n    expect(page.get_by_role("heading", name="Desk Lamp")).to_be_visible()',
    "test_console": 'page.goto("/reviews")\n    assert console_errors == [], "console errors: " + repr(console_errors)',
    "test_flaky_deal": 'page.goto("/deals")\n    expect(page.get_by_text("Deal of the day: Desk Lamp")).to_be_visible()',
}


def write_suite(d: Path, base_url: str) -> Path:
    d.mkdir(parents=True)
    # A suite as qaforge writes it: its fixtures from the plugin, its settings in pytest.ini.
    (d / "conftest.py").write_text(conftest_source(base_url, None, False, standalone=False))
    (d / "pytest.ini").write_text(pytest_ini(base_url, None, False, standalone=False))
    body = ["import re", "import time", "", "from playwright.sync_api import Page, expect", ""]
    tests = []
    for name, code in TESTS.items():
        body.append(f"def {name}(page: Page, console_errors: list[str]) -> None:\n    {code}\n")
        tests.append(
            GeneratedTest(
                test_id=f"test_fixture.py::{name}",
                scenario_id=name,
                file="test_fixture.py",
                function=name,
                kind=ScenarioKind.PAGE_LOADS,
            )
        )
    (d / "test_fixture.py").write_text("\n".join(body))
    suite = TestSuite(directory=str(d), tests=tests, files=["test_fixture.py"])
    (d / "suite.json").write_text(suite.model_dump_json())
    return d / "suite.json"


def test_each_failure_class_and_flake_detection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Playwright gives up on a missing element in 3 s, well inside the 10 s test timeout.
    monkeypatch.setenv("QAFORGE_TIMEOUT_MS", "3000")
    # A shop of its own with item pages broken: its /deals counter is this test's alone.
    with DemoApp(bug="item-500") as app:
        suite_path = write_suite(tmp_path / "suite", app.url)
        results = asyncio.run(
            execute_suite(
                suite_path,
                app.url,
                tmp_path / "out",
                # Every test in both passes: the flaky deal only reads its page.
                Settings(recheck_sample=1.0),
                runs=2,
                workers=1,
                test_timeout_s=10,
            )
        )
    by = {r.test_id.split("::")[1]: r for r in results.results}
    assert by["test_ok"].outcome == TestOutcome.PASSED
    assert by["test_broken_locator"].failure_class == FailureClass.BROKEN_LOCATOR
    assert by["test_assertion"].failure_class == FailureClass.ASSERTION_MISMATCH
    assert by["test_timeout"].failure_class == FailureClass.TIMEOUT
    assert by["test_error"].failure_class == FailureClass.TEST_ERROR
    assert by["test_server_error"].outcome == TestOutcome.APP_DEFECT
    assert by["test_console"].outcome == TestOutcome.APP_DEFECT
    flaky = by["test_flaky_deal"]
    assert flaky.outcome == TestOutcome.QUARANTINED and flaky.runs == ["passed", "failed"]
    assert (
        results.recheck == f"the passes after the first re-ran every test that ran ({len(TESTS)})"
    )
    quarantine = json.loads((tmp_path / "suite" / "quarantine.json").read_text())
    assert [q["test_id"] for q in quarantine] == ["test_fixture.py::test_flaky_deal"]
    # A failure's trace and screenshot come from the last pass; the first records none.
    out = tmp_path / "out"
    assert not list((out / "artifacts-run0").rglob("trace.zip")), "run 0 recorded traces"
    assert not list((out / "artifacts-run0").rglob("*.png")), "run 0 took screenshots"
    broken = by["test_broken_locator"]
    for artifact in (broken.trace, broken.screenshot):
        assert artifact and Path(artifact).is_relative_to(out / "artifacts-run1"), broken
        assert Path(artifact).stat().st_size > 0
