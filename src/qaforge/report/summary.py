"""Building summary.json (`RunSummary`): the figures of one run, for CI and scripts and the
other report formats."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from qaforge.contracts.summary import (
    STAGES,
    Artifacts,
    CoverageFigures,
    CrawlFigures,
    Durations,
    GoalFigures,
    LLMUse,
    QuarantineItem,
    RunSummary,
    ScenarioFigures,
    StrategyInfo,
    SummaryFinding,
    TestCounts,
    TriageNote,
)
from qaforge.execute import quarantine
from qaforge.generate.scenarios import Requirements
from qaforge.models import AppModel, RunResults, Scenario, TestOutcome, TestSuite


def coverage(
    model: AppModel, scenarios: list[Scenario], suite: TestSuite | None
) -> CoverageFigures:
    """Fractions of the crawl's templates, kept transitions and forms that a kept test covers."""
    in_suite = {t.scenario_id for t in suite.tests} if suite else {s.id for s in scenarios}
    used = [s for s in scenarios if s.id in in_suite]
    states = {sid for s in used for sid in s.source_states}
    templates_all = {s.url_template for s in model.states}
    templates_cov = {s.url_template for s in model.states if s.id in states}
    # What the requirements layer may build a test from: a kept transition it rightly skips
    # (a link to the page it is on, a control only the crawl's history showed) is no gap.
    kept = {t.id for t in Requirements(model).kept}
    trans_cov = kept & {tid for s in used for tid in s.source_transitions}
    # Forms the crawl never submitted (destructive ones it must not press) cannot be covered.
    exercised = {t.action.form_id for t in model.transitions if t.action.form_id}
    forms_all = {f.id for s in model.states for f in s.forms} & exercised
    by_id = {t.id: t for t in model.transitions}
    forms_cov = {
        by_id[tid].action.form_id
        for s in used
        for tid in s.source_transitions
        if tid in by_id and by_id[tid].action.form_id
    }

    def frac(part: set[Any], whole: set[Any]) -> float | None:
        return round(len(part & whole) / len(whole), 4) if whole else None

    return CoverageFigures(
        templates=frac(templates_cov, templates_all),
        transitions=frac(trans_cov, kept),
        forms=frac(forms_cov, forms_all),
    )


def test_counts(results: RunResults | None, suite: TestSuite | None) -> TestCounts:
    """generated/passed/failed/flaky/healed/quarantined/app_defects."""
    return TestCounts.of(results, suite)


def pass_rate(tests: TestCounts, executed: bool = True) -> float | None:
    """passed / (generated − app_defects − quarantined) (architecture.md §6)."""
    return tests.pass_rate(executed)


def oracle_of(scenario: Scenario | None) -> str:
    """The oracle a test's assertions come from: a data oracle's name, else its scenario kind."""
    if scenario is None:
        return "test"
    tags = [t.split(":", 1)[1] for t in scenario.tags if t.startswith("oracle:")]
    return "+".join(tags) if tags else scenario.kind


def build_summary(
    model: AppModel,
    scenarios: list[Scenario],
    suite: TestSuite | None,
    results: RunResults | None,
    durations: dict[str, float],
    artifacts: Artifacts,
    *,
    run_id: str = "",
    strategy: StrategyInfo | None = None,
    stage_errors: list[str] | None = None,
    goals: GoalFigures | None = None,
    triage: list[TriageNote] | None = None,
    llm: dict[str, LLMUse] | None = None,
) -> RunSummary:
    """The run's summary. `durations` holds seconds per stage and `total` (the run's wall time
    so far; the sum of the stages when absent); `strategy` defaults to the suite's own."""
    s = model.crawl_stats
    tests = test_counts(results, suite)
    findings = [
        SummaryFinding(kind=str(f.kind), where=f.where, detail=f.detail) for f in model.findings
    ]
    seen = {(f.kind, f.where) for f in findings}
    by_test = {t.test_id: t for t in suite.tests} if suite else {}
    by_scenario = {sc.id: sc for sc in scenarios}
    for r in results.results if results else []:
        if r.outcome == TestOutcome.APP_DEFECT:
            gt = by_test.get(r.test_id)
            where = gt.template if gt else r.test_id
            key = ("test-failure", where)
            if key not in seen and not (gt and gt.expect_defect):
                seen.add(key)
                oracle = oracle_of(by_scenario.get(gt.scenario_id) if gt else None)
                findings.append(
                    SummaryFinding(
                        kind="test-failure",
                        where=where,
                        detail=f"[{oracle}] " + r.message.splitlines()[0][:300],
                    )
                )
    total = sum(v for k, v in durations.items() if k != "total")
    executed = results is not None
    return RunSummary(
        run_id=run_id,
        target=model.target.url,
        app=model.target.app or "",
        crawl=CrawlFigures(
            states=s.states,
            templates=s.templates,
            transitions=s.transitions,
            forms=s.forms,
            actions=s.actions,
            duration_s=s.duration_s,
            stopped_by=s.stopped_by,
            errors=list(s.errors),
            skipped=list(s.skipped),
            browser_restarts=s.browser_restarts,
            http_pages=s.http_pages,
            http_templates=s.http_templates,
            http_duration_s=s.http_duration_s,
        ),
        scenarios=ScenarioFigures(
            total=len(scenarios),
            by_kind=dict(sorted(Counter(sc.kind for sc in scenarios).items())),
        ),
        tests=tests,
        pass_rate=pass_rate(tests, executed),
        coverage=coverage(model, scenarios, suite),
        findings=findings,
        durations=Durations(
            **{k: round(durations.get(k, 0.0), 3) for k in STAGES},
            total=round(durations.get("total", total), 3),
        ),
        artifacts=artifacts,
        strategy=strategy or StrategyInfo(name=suite.strategy if suite else ""),
        quarantine=quarantine_listing(suite, results),
        recheck=results.recheck if results else "",
        executed=executed,
        stage_errors=list(stage_errors or []),
        notes=[*suite.notes, *(f"not written: {d}" for d in suite.dropped)] if suite else [],
        goals=goals,
        triage=list(triage or []),
        llm=dict(llm or {}),
    )


def quarantine_listing(suite: TestSuite | None, results: RunResults | None) -> list[QuarantineItem]:
    """What is quarantined (since when, why, this run's outcome) and what this run released."""
    directory = suite.directory if suite else results.suite_dir if results else ""
    entries = quarantine.load(Path(directory)) if directory else {}
    listed = quarantine.listing(results.results if results else [], entries)
    return [QuarantineItem.model_validate(item) for item in listed]


def artifact_paths(out_dir: Path, tests_dir: Path, pdf: bool = True) -> Artifacts:
    """Where the run's files are (`report_pdf` is "" when no PDF is written)."""
    return Artifacts(
        tests_dir=str(tests_dir),
        report_html=str(out_dir / "report.html"),
        report_md=str(out_dir / "report.md"),
        report_pdf=str(out_dir / "report.pdf") if pdf else "",
        junit=str(out_dir / "junit.xml"),
        summary=str(out_dir / "summary.json"),
    )
