"""Quarantine never hides a regression (DESIGN.md §3): retries, release, failures, report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qaforge.contracts.summary import RunSummary, StrategyInfo
from qaforge.execute import quarantine
from qaforge.execute.engine import combine, differing
from qaforge.execute.runner import CaseResult, PytestRun
from qaforge.generate.conftest_py import conftest_source
from qaforge.models import (
    FailureClass,
    GeneratedTest,
    RunResults,
    ScenarioKind,
    TestOutcome,
    TestResult,
    TestSuite,
)
from qaforge.report.render import render_markdown
from qaforge.report.summary import pass_rate, quarantine_listing
from qaforge.report.summary import test_counts as count_tests

T = "test_shop.py::test_cart"
OTHER = "test_shop.py::test_home"
FAIL_MSG = "AssertionError: expected heading 'Cart' to be visible"


def suite_in(d: Path) -> TestSuite:
    tests = [
        GeneratedTest(
            test_id=tid,
            scenario_id=tid.split("::")[1],
            file="test_shop.py",
            function=tid.split("::")[1],
            kind=ScenarioKind.PAGE_LOADS,
        )
        for tid in (T, OTHER)
    ]
    return TestSuite(directory=str(d), tests=tests)


def run(outcome: str, other: str = "passed") -> PytestRun:
    """One pytest run: `T` with `outcome`, `OTHER` with `other` (empty: not selected)."""
    cases = {}
    for tid, o in ((T, outcome), (OTHER, other)):
        if o:
            cases[tid] = CaseResult(tid, o, FAIL_MSG if o == "failed" else "", 0.5)
    return PytestRun(cases=cases)


def retry(outcome: str) -> PytestRun:
    return run(outcome, other="")


def execution(
    tmp_path: Path, mains: list[str], retries: list[str] | None = None, when: str = "t0"
) -> tuple[dict[str, TestResult], list[str]]:
    """What `execute_suite` does after the runs: combine, apply the quarantine, save it."""
    suite = suite_in(tmp_path)
    runs = [run(o) for o in mains]
    entries = quarantine.load(tmp_path)
    to_retry = [t for t in differing(runs, [T, OTHER]) if t not in entries]
    retry_runs = [retry(o) for o in (retries or [])] if to_retry else []
    results, flaky = combine(suite, runs, tmp_path / "out", retry_runs, set(to_retry))
    kept, released = quarantine.apply(results, entries, flaky, when=when)
    quarantine.save(tmp_path, kept)
    return {r.test_id: r for r in results}, released


def saved(tmp_path: Path) -> list[dict[str, object]]:
    path = tmp_path / "quarantine.json"
    return json.loads(path.read_text()) if path.exists() else []


def quarantine_flaky(tmp_path: Path) -> None:
    by, _ = execution(
        tmp_path, ["passed", "failed"], ["failed", "passed"], when="2024-05-01T10:00:00+00:00"
    )
    assert by[T].outcome == TestOutcome.QUARANTINED


def test_differing_runs_then_passing_retries_pass_and_are_not_quarantined(tmp_path: Path) -> None:
    by, _ = execution(tmp_path, ["passed", "failed"], ["passed", "passed"])
    assert by[T].outcome == TestOutcome.PASSED
    assert "passed on retry after one failure" in by[T].message
    assert by[T].runs == ["passed", "failed"]
    assert by[OTHER].outcome == TestOutcome.PASSED and by[OTHER].message == ""
    assert saved(tmp_path) == []


def test_differing_runs_then_failing_retries_are_a_classified_failure(tmp_path: Path) -> None:
    by, _ = execution(tmp_path, ["failed", "passed"], ["failed", "failed"])
    assert by[T].outcome == TestOutcome.FAILED
    assert by[T].failure_class == FailureClass.ASSERTION_MISMATCH
    assert FAIL_MSG in by[T].message
    assert saved(tmp_path) == []


def test_still_differing_on_retry_is_quarantined_with_since_and_reason(tmp_path: Path) -> None:
    by, _ = execution(
        tmp_path, ["passed", "failed"], ["passed", "failed"], when="2024-05-01T10:00:00+00:00"
    )
    assert by[T].outcome == TestOutcome.QUARANTINED
    assert by[T].message.startswith("flaky")
    [entry] = saved(tmp_path)
    assert entry["test_id"] == T
    assert entry["since"] == "2024-05-01T10:00:00+00:00"
    assert entry["consecutive_passes"] == 0
    assert "passed, failed" in str(entry["reason"]) and "on retry" in str(entry["reason"])


def test_only_differing_tests_are_retried(tmp_path: Path) -> None:
    runs = [run("passed", "passed"), run("failed", "passed")]
    assert differing(runs, [T, OTHER]) == [T]
    assert differing([run("failed", "failed"), run("failed", "failed")], [T, OTHER]) == []


def test_without_retries_a_differing_test_is_flaky(tmp_path: Path) -> None:
    results, flaky = combine(suite_in(tmp_path), [run("passed"), run("error")], tmp_path)
    assert results[0].outcome == TestOutcome.FLAKY and T in flaky


def test_quarantined_test_passing_three_executions_is_released(tmp_path: Path) -> None:
    quarantine_flaky(tmp_path)
    since = saved(tmp_path)[0]["since"]
    for streak in (1, 2):
        by, released = execution(tmp_path, ["passed", "passed"])
        assert by[T].outcome == TestOutcome.PASSED and released == []
        assert saved(tmp_path)[0]["consecutive_passes"] == streak
        assert saved(tmp_path)[0]["since"] == since
    by, released = execution(tmp_path, ["passed", "passed"])
    assert released == [T] and saved(tmp_path) == []
    assert by[T].outcome == TestOutcome.PASSED
    assert by[T].message.startswith(quarantine.RELEASED)
    listing = quarantine_listing(
        suite_in(tmp_path), RunResults(suite_dir=str(tmp_path), results=list(by.values()))
    )
    assert [(q.test_id, q.status) for q in listing] == [(T, "released")]


def test_a_flip_resets_the_pass_streak(tmp_path: Path) -> None:
    quarantine_flaky(tmp_path)
    execution(tmp_path, ["passed", "passed"])
    execution(tmp_path, ["passed", "passed"])
    by, _ = execution(tmp_path, ["failed", "passed"])
    assert by[T].outcome == TestOutcome.QUARANTINED
    assert saved(tmp_path)[0]["consecutive_passes"] == 0


def test_quarantined_test_failing_every_run_is_a_failure(tmp_path: Path) -> None:
    quarantine_flaky(tmp_path)
    by, _ = execution(tmp_path, ["failed", "failed"])
    assert by[T].outcome == TestOutcome.FAILED
    assert by[T].failure_class == FailureClass.ASSERTION_MISMATCH
    assert FAIL_MSG in by[T].message
    counts = count_tests(
        RunResults(suite_dir=str(tmp_path), results=list(by.values())), suite_in(tmp_path)
    )
    assert counts.failed == 1 and counts.quarantined == 0  # the build goes red


def test_quarantined_test_still_flaky_stays_quarantined_without_retries(tmp_path: Path) -> None:
    quarantine_flaky(tmp_path)
    since = saved(tmp_path)[0]["since"]
    # Retries would pass, but a quarantined test is not retried: flipping again is evidence.
    by, _ = execution(tmp_path, ["failed", "passed"], ["passed", "passed"])
    assert by[T].outcome == TestOutcome.QUARANTINED
    assert by[T].runs == ["failed", "passed"]
    assert saved(tmp_path)[0]["since"] == since


def test_pass_rate_leaves_quarantined_out(tmp_path: Path) -> None:
    quarantine_flaky(tmp_path)
    by, _ = execution(tmp_path, ["passed", "failed"])
    results = RunResults(suite_dir=str(tmp_path), results=list(by.values()))
    counts = count_tests(results, suite_in(tmp_path))
    assert counts.quarantined == 1 and counts.passed == 1
    assert counts.flaky == counts.quarantined
    assert pass_rate(counts) == 1.0  # 1 passed / (2 generated − 0 app defects − 1 quarantined)


def test_report_lists_quarantine_since_and_why(tmp_path: Path) -> None:
    quarantine_flaky(tmp_path)
    by, _ = execution(tmp_path, ["passed", "failed"])
    results = RunResults(suite_dir=str(tmp_path), results=list(by.values()))
    listing = quarantine_listing(suite_in(tmp_path), results)
    assert [q.model_dump() for q in listing] == [
        {
            "test_id": T,
            "status": "quarantined",
            "since": "2024-05-01T10:00:00+00:00",
            "reason": saved(tmp_path)[0]["reason"],
            "consecutive_passes": 0,
            "outcome": "quarantined",
        }
    ]
    counts = count_tests(results, suite_in(tmp_path))
    summary = RunSummary(
        app="shop",
        target="http://x/",
        strategy=StrategyInfo(name="default"),
        tests=counts,
        pass_rate=pass_rate(counts),
        quarantine=listing,
        executed=True,
    )
    md = render_markdown(summary, results, 0)
    assert "## Quarantined" in md and "since 2024-05-01T10:00:00+00:00" in md


def test_old_entries_without_since_still_load(tmp_path: Path) -> None:
    (tmp_path / "quarantine.json").write_text(json.dumps([{"test_id": T, "reason": "flaky: x"}]))
    entry = quarantine.load(tmp_path)[T]
    assert (entry.reason, entry.since, entry.consecutive_passes) == ("flaky: x", "", 0)


def test_generated_conftest_runs_quarantined_tests(tmp_path: Path) -> None:
    source = conftest_source("http://localhost:1/", None, False, standalone=True)
    assert "pytest.mark.skip" not in source and "add_marker(pytest.mark.skip" not in source
    (tmp_path / "conftest.py").write_text(source)
    assert not quarantine.legacy_conftest(tmp_path)


def test_an_old_skipping_conftest_cannot_see_the_quarantine_during_runs(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        'path = HERE / "quarantine.json"\nitem.add_marker(pytest.mark.skip(reason="q"))\n'
    )
    quarantine.save(tmp_path, {T: quarantine.Entry(T, "flaky", "t0")})
    assert quarantine.hide_from_legacy_conftest(tmp_path)
    assert not (tmp_path / "quarantine.json").exists()
    assert T in quarantine.load(tmp_path)  # a run killed here loses nothing
    quarantine.unhide(tmp_path)
    assert T in quarantine.load(tmp_path) and (tmp_path / "quarantine.json").exists()


@pytest.mark.parametrize(
    ("retries", "verdict"),
    [
        (["passed", "passed"], "passed"),
        (["failed", "error"], "failed"),
        (["passed", "failed"], "flaky"),
        (["skipped", "skipped"], "flaky"),
        ([], "flaky"),
    ],
)
def test_verdict_of_retries(retries: list[str], verdict: str) -> None:
    assert quarantine.verdict_of_retries(retries) == verdict
