"""JUnit XML through one reader and one writer (junitparser), outside files parsed safely."""

from __future__ import annotations

from pathlib import Path

import pytest

from qaforge.execute.junit import JunitError, JunitVerdict, read_junit, write_junit
from qaforge.execute.runner import parse_junit
from qaforge.learn.ci_import import CiImportError
from qaforge.learn.ci_import import parse_junit as parse_ci
from qaforge.models import FailureClass, RunResults, TestOutcome, TestResult
from qaforge.report.render import render_junit

PYTEST = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4">
<testcase classname="test_shop" name="test_home[chromium]" time="1.5" file="test_shop.py"/>
<testcase classname="test_shop" name="test_cart[chromium]" time="0.5">
  <failure message="AssertionError: cart">Locator expected to be visible</failure></testcase>
<testcase classname="test_page_checks" name="test_page_answers[admin]" time="x">
  <error message="fixture broke">setup</error></testcase>
<testcase classname="test_shop" name="test_deal[chromium]"><skipped message="quarantined"/></testcase>
</testsuite></testsuites>"""


def test_pytest_files_are_read_once_for_the_runner_and_the_ci_import(tmp_path: Path) -> None:
    path = tmp_path / "run.xml"
    path.write_text(PYTEST)
    cases = read_junit(path)
    assert [(c.name, c.outcome) for c in cases] == [
        ("test_home[chromium]", "passed"),
        ("test_cart[chromium]", "failed"),
        ("test_page_answers[admin]", "error"),
        ("test_deal[chromium]", "skipped"),
    ]
    assert cases[0].file == "test_shop.py" and cases[0].time == 1.5
    assert cases[1].message == "AssertionError: cart\nLocator expected to be visible"
    assert cases[2].time == 0.0  # an unreadable time is no reason to lose the case
    # The runner's view: test ids without the browser, the page check keeps its case id.
    runner = parse_junit(path)
    assert runner["test_shop.py::test_home"].outcome == "passed"
    assert runner["test_page_checks.py::test_page_answers[admin]"].outcome == "error"
    # The CI import's view: an error is a failure.
    assert [c.outcome for c in parse_ci(path)] == ["passed", "failed", "failed", "skipped"]


def test_a_hostile_or_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<testsuite><testcase name="&b;"/></testsuite>'
    )
    with pytest.raises(JunitError, match="not readable JUnit XML"):
        read_junit(bomb)
    html = tmp_path / "page.xml"
    html.write_text("<html><body>nope</body></html>")
    with pytest.raises(CiImportError, match="not readable JUnit XML"):
        parse_ci(html)
    with pytest.raises(JunitError):
        read_junit(tmp_path / "missing.xml")


def test_the_junit_qaforge_writes_reads_back(tmp_path: Path) -> None:
    results = RunResults(
        suite_dir=str(tmp_path),
        results=[
            TestResult(test_id="test_a.py::test_ok", outcome=TestOutcome.PASSED, duration_s=1.0),
            TestResult(
                test_id="test_a.py::test_500",
                outcome=TestOutcome.APP_DEFECT,
                failure_class=FailureClass.APP_DEFECT,
                message="HTTP 500 on /item/3",
            ),
            TestResult(
                test_id="test_b.py::test_deal", outcome=TestOutcome.QUARANTINED, message="flaky"
            ),
        ],
    )
    path = tmp_path / "junit.xml"
    path.write_text(render_junit(results, None))
    text = path.read_text()
    assert 'tests="3"' in text and 'failures="1"' in text and 'skipped="1"' in text
    assert 'message="app-defect" type="app-defect"' in text
    back = {(c.classname, c.name): (c.outcome, c.message) for c in read_junit(path)}
    assert back == {
        ("test_a", "test_ok"): ("passed", ""),
        ("test_a", "test_500"): ("failed", "app-defect\nHTTP 500 on /item/3"),
        ("test_b", "test_deal"): ("skipped", "flaky"),
    }
    # Text that needs escaping stays text.
    odd = write_junit("s", [JunitVerdict("t.py::x", 0.0, "failed", "a<b", "failed", "]]> & <")])
    (tmp_path / "odd.xml").write_text(odd)
    assert read_junit(tmp_path / "odd.xml")[0].message == "a<b\n]]> & <"
