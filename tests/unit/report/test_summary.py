"""The run summary is built once, typed, and says "n/a" where there was nothing to measure."""

from __future__ import annotations

import json
from pathlib import Path

from qaforge.contracts.summary import RunSummary, StrategyInfo
from qaforge.models import (
    AppModel,
    Element,
    Finding,
    GeneratedTest,
    RunResults,
    Scenario,
    ScenarioKind,
    State,
    Target,
    TestOutcome,
    TestResult,
    TestSuite,
)
from qaforge.report.render import render_markdown
from qaforge.report.summary import artifact_paths, build_summary


def _model() -> AppModel:
    """Two templates, no form: a read-only site."""
    home = State(id="h", url="http://x/", url_template="/", elements=[Element(id="e", role="link")])
    about = State(id="a", url="http://x/about", url_template="/about")
    return AppModel(
        target=Target(url="http://x/", app="site"),
        states=[home, about],
        findings=[Finding(kind="console-error", where="/about", detail="TypeError: x")],
    )


def _scenario() -> Scenario:
    return Scenario(
        id="s1",
        kind=ScenarioKind.PAGE_LOADS,
        title="/ loads",
        given="",
        when="",
        then="",
        source_states=["h"],
        template="/",
    )


def _suite(tmp_path: Path) -> TestSuite:
    test = GeneratedTest(
        test_id="test_a.py::test_home",
        scenario_id="s1",
        file="test_a.py",
        function="test_home",
        kind=ScenarioKind.PAGE_LOADS,
        template="/",
    )
    return TestSuite(directory=str(tmp_path / "tests"), strategy="resilient", tests=[test])


def test_a_suite_that_did_not_run_has_no_pass_rate_and_learns_nothing(tmp_path: Path) -> None:
    suite = _suite(tmp_path)
    suite.notes.append("12 HTTP page checks left out of the TypeScript suite")
    s = build_summary(
        _model(), [_scenario()], suite, None, {}, artifact_paths(tmp_path, tmp_path / "tests")
    )
    assert s.tests.generated == 1 and s.tests.passed == 0
    assert s.pass_rate is None and not s.executed
    # Templates are measured; an app without forms has no form coverage to speak of.
    assert s.coverage.templates == 0.5
    assert s.coverage.forms is None and s.coverage.transitions is None
    md = render_markdown(s, None, s.exit_code())
    assert "| pass rate | n/a |" in md
    assert "50% / n/a / n/a" in md
    # What the generator left out reaches the summary and the report.
    assert s.notes == ["12 HTTP page checks left out of the TypeScript suite"]
    assert "- 12 HTTP page checks left out of the TypeScript suite" in md


def test_the_summary_is_the_same_document_everywhere(tmp_path: Path) -> None:
    suite = _suite(tmp_path)
    results = RunResults(
        suite_dir=suite.directory,
        results=[TestResult(test_id="test_a.py::test_home", outcome=TestOutcome.PASSED)],
    )
    chosen = StrategyInfo(name="strict", chosen_by="bandit", variant_id=4)
    s = build_summary(
        _model(),
        [_scenario()],
        suite,
        results,
        {"observe": 2.0, "execute": 3.0, "total": 7.5},
        artifact_paths(tmp_path, Path(suite.directory), pdf=False),
        run_id="run-1",
        strategy=chosen,
    )
    assert s.pass_rate == 1.0 and s.executed
    assert s.strategy == chosen and s.run_id == "run-1"
    assert s.durations.observe == 2.0 and s.durations.total == 7.5
    assert s.artifacts.report_pdf == ""
    # The crawl's console error is an app finding: the run exits 1 although every test passed.
    assert [f.kind for f in s.findings] == ["console-error"] and s.exit_code() == 1
    path = tmp_path / "summary.json"
    s.write(path)
    data = json.loads(path.read_text())
    assert data["strategy"] == {"name": "strict", "chosen_by": "bandit", "variant_id": 4}
    assert RunSummary.load(path) == s
    md = render_markdown(s, results, s.exit_code())
    assert "strategy `strict (bandit)`" in md and "| total time | 7.5s |" in md


def test_the_suite_names_the_strategy_when_nothing_chose_it(tmp_path: Path) -> None:
    suite = _suite(tmp_path)
    s = build_summary(
        _model(),
        [],
        suite,
        None,
        {"observe": 1.0, "report": 0.5},
        artifact_paths(tmp_path, tmp_path),
    )
    assert s.strategy.label() == "resilient"
    assert s.durations.total == 1.5  # no wall time given: the sum of the stages


def test_the_report_lists_crawl_errors_and_skipped_actions_apart() -> None:
    from qaforge.contracts.summary import CrawlFigures, RunSummary

    s = RunSummary(
        target="http://x/",
        crawl=CrawlFigures(
            errors=["the HTTP walk stopped: boom"],
            skipped=["click 'Import' on http://x/: covered by another element after 4s"],
        ),
    )
    md = render_markdown(s, None, s.exit_code())
    errors = md.index("## Crawl errors")
    skipped = md.index("## Actions the app did not take")
    assert "- the HTTP walk stopped: boom" in md[errors:skipped]
    assert "- click 'Import' on http://x/: covered by another element after 4s" in md[skipped:]
    clean = render_markdown(RunSummary(target="http://x/"), None, 0)
    assert "## Crawl errors" not in clean and "## Actions the app" not in clean
