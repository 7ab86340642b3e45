"""The TypeScript runner's pieces on plain data: the suite's package.json and config, Playwright's
JUnit read into the suite's test ids, the test list that re-runs exactly the chosen tests, the
classification of @playwright/test messages, and the runner picked by the suite's language."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from qaforge.config import Settings
from qaforge.execute.classify import classify
from qaforge.execute.healer import Healer
from qaforge.execute.runners import PLAYWRIGHT, PYTEST, runner_for
from qaforge.execute.ts_runner import case_ids, parse_playwright_junit, selection_line
from qaforge.generate.emit_typescript import ts_config_sources
from qaforge.models import (
    AppModel,
    FailureClass,
    GeneratedTest,
    Target,
    TestOutcome,
    TestResult,
    TestSuite,
)

# As Playwright 1.65's junit reporter writes it (trimmed), the file in `out/`.
JUNIT = """<testsuites id="" name="" tests="4" failures="2" skipped="0" errors="1" time="9.1">
<testsuite name="shop.spec.ts" hostname="" tests="4" failures="2" skipped="0" time="7.7" errors="1">
<testcase name="shop › / loads" classname="shop.spec.ts" time="0.874">
</testcase>
<testcase name="shop › /reviews loads [app-defect]" classname="shop.spec.ts" time="0.677">
<system-out>
<![CDATA[
[[ATTACHMENT|art/shop-reviews-loads-app-defect-/test-failed-1.png]]

[[ATTACHMENT|art/shop-reviews-loads-app-defect-/trace.zip]]
]]>
</system-out>
<failure message="console errors: boom" type="expect.toEqual">
<![CDATA[    Error: console errors: boom

    expect(received).toEqual(expected) // deep equality
]]>
</failure>
</testcase>
<testcase name="shop › Add &gt; to &quot;cart&quot;" classname="shop.spec.ts" time="1.642">
<error message="locator.click: Timeout 500ms exceeded." type="TimeoutError">
<![CDATA[    TimeoutError: locator.click: Timeout 500ms exceeded.
    Call log:
      - waiting for getByRole('button', { name: 'Nope', exact: true })
]]>
</error>
</testcase>
<testcase name="shop › Totals add up" classname="shop.spec.ts" time="1.686">
<failure message="expect(locator).toBeVisible() failed" type="expect.toBeVisible">
<![CDATA[    Error: expect(locator).toBeVisible() failed

    Locator: getByText('Nope', { exact: true }).first()
    Expected: visible
    Timeout: 500ms
    Error: element(s) not found
]]>
</failure>
</testcase>
</testsuite>
</testsuites>
"""


def _test(name: str, function: str, defect: bool = False) -> GeneratedTest:
    return GeneratedTest(
        test_id=f"shop.spec.ts::{name}",
        scenario_id=name,
        file="shop.spec.ts",
        function=function,
        kind="page-loads",
        expect_defect=defect,
    )


SUITE = TestSuite(
    directory=".",
    language="typescript",
    tests=[
        _test("test_loads", "/ loads"),
        _test("test_reviews_loads", "/reviews loads", defect=True),
        _test("test_add_to_cart", 'Add > to "cart"'),
        _test("test_totals_add_up", "Totals add up"),
    ],
)


def test_playwright_junit_is_read_under_the_suites_test_ids(tmp_path: Path) -> None:
    path = tmp_path / "out" / "playwright-run0.xml"
    path.parent.mkdir()
    path.write_text(JUNIT, encoding="utf-8")
    cases = parse_playwright_junit(path, case_ids(SUITE))
    assert set(cases) == {t.test_id for t in SUITE.tests}
    assert cases["shop.spec.ts::test_loads"].outcome == "passed"
    reviews = cases["shop.spec.ts::test_reviews_loads"]
    assert reviews.outcome == "failed" and reviews.duration_s == 0.677
    # Attachments are relative to the JUnit file's folder, not to the suite.
    assert reviews.attachments[-1] == str(
        tmp_path / "out/art/shop-reviews-loads-app-defect-/trace.zip"
    )
    assert cases["shop.spec.ts::test_add_to_cart"].outcome == "error"
    # Classified as the same failures of a Python suite would be.
    by_id = {t.test_id: t for t in SUITE.tests}
    classes = {
        tid: classify(c.message, by_id[tid].expect_defect, [])
        for tid, c in cases.items()
        if c.outcome != "passed"
    }
    assert classes == {
        "shop.spec.ts::test_reviews_loads": FailureClass.APP_DEFECT,
        "shop.spec.ts::test_add_to_cart": FailureClass.BROKEN_LOCATOR,
        "shop.spec.ts::test_totals_add_up": FailureClass.ASSERTION_MISMATCH,
    }


def test_a_case_the_suite_does_not_list_keeps_its_own_name(tmp_path: Path) -> None:
    path = tmp_path / "j.xml"
    path.write_text(JUNIT, encoding="utf-8")
    cases = parse_playwright_junit(path, {})
    assert "shop.spec.ts::shop › Totals add up" in cases


def test_playwright_messages_classify_like_pythons() -> None:
    assert classify("Test timeout of 30000ms exceeded.", False, []) == FailureClass.TIMEOUT
    assert classify("expect(received).toBeLessThan(expected)", False, []) == (
        FailureClass.ASSERTION_MISMATCH
    )
    assert classify("expect(received).toBeLessThan(expected)", True, []) == (
        FailureClass.APP_DEFECT
    )
    assert classify("server error: GET http://x/api answered 500", False, []) == (
        FailureClass.APP_DEFECT
    )


def test_a_rerun_lists_each_test_by_file_describe_and_exact_title() -> None:
    assert selection_line(SUITE.tests[1]) == "shop.spec.ts › shop › /reviews loads [app-defect]"
    assert selection_line(SUITE.tests[2]) == 'shop.spec.ts › shop › Add > to "cart"'


def test_the_runner_follows_the_suites_language() -> None:
    assert runner_for(SUITE) is PLAYWRIGHT
    assert runner_for(SUITE.model_copy(update={"language": "python"})) is PYTEST
    assert PYTEST.selector(_test("test_x", "test_x")) == "shop.spec.ts::test_x"


def test_the_ts_suite_config_and_package_json() -> None:
    files = ts_config_sources("http://shop", None, False)
    pkg = json.loads(files["package.json"])
    runtime = json.loads(
        (Path(__file__).parents[3] / "src/qaforge/generate/ts_runtime/package.json").read_text()
    )
    assert pkg["private"] is True and pkg["scripts"]["test"] == "playwright test"
    assert pkg["devDependencies"] == runtime["devDependencies"]
    config = files["playwright.config.ts"]
    assert "retries: 0," in config
    assert "trace: 'on-first-retry'" in config
    assert "forbidOnly: !!process.env.CI" in config
    assert "reporter: process.env.CI ? [junit," in config and "[['list'], junit]" in config


def test_healing_leaves_a_typescript_test_alone_and_says_why(tmp_path: Path) -> None:
    suite = SUITE.model_copy(update={"directory": str(tmp_path)})
    model = AppModel(target=Target(url="http://shop"))
    healer = Healer(Settings(home=tmp_path), suite, model, "http://shop", tmp_path)
    res = TestResult(
        test_id="shop.spec.ts::test_add_to_cart",
        outcome=TestOutcome.FAILED,
        failure_class=FailureClass.BROKEN_LOCATOR,
        message="locator.click: Timeout\n  - waiting for getByRole('button')",
    )
    assert asyncio.run(healer.heal_all([res])) == 0
    assert res.outcome == TestOutcome.FAILED
    assert [h.accepted for h in res.heals] == [False]
    assert "Python tests only" in res.heals[0].reason
