"""Report files from a run: report.md, report.html (self-contained), junit.xml, report.pdf."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from qaforge.config import Settings
from qaforge.contracts.summary import QuarantineItem, RunSummary, percent
from qaforge.execute.junit import JunitVerdict, write_junit
from qaforge.models import RunResults, Scenario, TestOutcome, TestSuite
from qaforge.report import charts

_env = Environment(
    loader=PackageLoader("qaforge.report", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
)


def verdict(summary: RunSummary, code: int) -> str:
    """One line: all passed, or how many tests failed and how many findings there are."""
    t = summary.tests
    if code == 0:
        if not summary.executed:
            return "The suite was written, not run"
        return "All kept tests passed; no app defect found"
    parts = []
    if t.failed:
        parts.append(f"{t.failed} test(s) failed")
    if t.app_defects or summary.findings:
        parts.append(f"{len(summary.findings)} app finding(s)")
    return "; ".join(parts)


def render_html(
    summary: RunSummary,
    scenarios: list[Scenario],
    results: RunResults | None,
    suite: TestSuite | None,
    code: int,
) -> str:
    """The HTML report, charts inline (no external asset)."""
    by_test = {t.test_id: t.scenario_id for t in suite.tests} if suite else {}
    outcome_of = {
        by_test.get(r.test_id, ""): r.outcome.value for r in (results.results if results else [])
    }
    problems = [
        r for r in (results.results if results else []) if r.outcome not in {TestOutcome.PASSED}
    ]
    heals = [h for r in (results.results if results else []) for h in r.heals]
    return _env.get_template("report.html.j2").render(
        s=summary,
        percent=percent,
        scenarios=sorted(scenarios, key=lambda x: -x.risk),
        outcome_of=outcome_of,
        problems=problems,
        heals=heals,
        exit_code=code,
        verdict=verdict(summary, code),
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        charts={
            "outcomes": charts.outcomes_chart(summary.tests.model_dump()),
            "risk": charts.risk_chart([s.risk for s in scenarios]),
            "coverage": charts.coverage_chart(summary.coverage.model_dump()),
            "durations": charts.durations_chart(summary.durations.model_dump()),
        },
    )


def render_markdown(summary: RunSummary, results: RunResults | None, code: int) -> str:
    """report.md: the same story in plain text."""
    t, c, cr = summary.tests, summary.coverage, summary.crawl
    lines = [
        f"# qaforge report: {summary.app or summary.target}",
        "",
        f"**{verdict(summary, code)}** (exit code {code}) · target {summary.target}"
        f" · strategy `{summary.strategy.label()}`",
        "",
        "| figure | value |",
        "|---|---|",
        f"| pass rate | {percent(summary.pass_rate)} |",
        *(f"| tests {k} | {v} |" for k, v in t.model_dump().items()),
        f"| coverage templates / transitions / forms | {percent(c.templates)} / "
        f"{percent(c.transitions)} / {percent(c.forms)} |",
        f"| crawl | {cr.states} states, {cr.templates} templates, "
        f"{cr.transitions} transitions, {cr.forms} forms in {cr.duration_s:.1f}s |",
        f"| pages fetched by HTTP | {cr.http_pages} "
        f"({cr.http_templates} templates) in {cr.http_duration_s:.1f}s |",
        f"| total time | {summary.durations.total:.1f}s |",
        "",
    ]
    if summary.recheck:
        lines += [f"Reruns: {summary.recheck}.", ""]
    if cr.errors:
        lines += [
            "## Crawl errors (qaforge's, not the app's)",
            "",
            *(f"- {e}" for e in cr.errors),
            "",
        ]
    if cr.skipped:
        lines += [
            "## Actions the app did not take (skipped by the crawl)",
            "",
            *(f"- {e}" for e in cr.skipped),
            "",
        ]
    if summary.notes:
        lines += ["## Notes from the generator", "", *(f"- {n}" for n in summary.notes), ""]
    if summary.goals is not None:
        g = summary.goals
        lines += [
            "## Goals (planned by the language model, verified on the live app)",
            "",
            f"- {g.asked} asked, {g.reached} reached with {g.scenarios} verified scenarios, "
            f"{g.not_reached} not reached (see the findings), {g.skipped} not planned "
            "(token budget)",
            f"- proposals rejected for naming what the app model lacks: {g.rejected}; "
            f"failed on the live app: {g.failed_live}",
            f"- {g.calls} model calls, {g.tokens} tokens, {g.cache_hits} answers from the "
            f"cache, {g.seconds:.1f} s",
            "",
        ]
    if summary.llm:
        lines += [
            "## Language model",
            "",
            *(
                f"- {stage}: {u.calls} calls, {u.tokens} tokens, {u.cache_hits} answers from "
                f"the cache, {u.seconds:.1f} s"
                for stage, u in summary.llm.items()
            ),
            "",
        ]
    if summary.triage:
        lines += [
            "## Triage (a language model's reading of each failure; the verdicts are qaforge's)",
            "",
            *(
                f"- `{t.test_id}` ({t.verdict}): {t.note}"
                + (f" (likely: {t.likely})" if t.likely else "")
                for t in summary.triage
            ),
            "",
        ]
    if summary.findings:
        lines += ["## Findings (the app, not the tests)", ""]
        lines += [f"- **{f.kind}** at `{f.where}`: {f.detail}" for f in summary.findings]
        lines.append("")
    bad = [r for r in (results.results if results else []) if r.outcome != TestOutcome.PASSED]
    if bad:
        lines += ["## Tests that did not pass", ""]
        for r in bad:
            first = r.message.splitlines()[0][:200] if r.message else ""
            cls = f" ({r.failure_class.value})" if r.failure_class else ""
            lines.append(f"- `{r.test_id}`: {r.outcome.value}{cls} {first}")
        lines.append("")
    lines += _quarantine_lines(summary.quarantine)
    heals = [h for r in (results.results if results else []) for h in r.heals]
    if heals:
        lines += ["## Heals", ""]
        for h in heals:
            state = "accepted" if h.accepted else "refused"
            lines.append(
                f"- `{h.test_id}`: `{h.old_locator}` → `{h.new_locator}` "
                f"(score {h.score:.2f}, {state}: {h.reason})"
            )
    return "\n".join(lines) + "\n"


def _quarantine_lines(listing: list[QuarantineItem]) -> list[str]:
    """Markdown: what is quarantined, since when and why; what this run released."""
    held = [q for q in listing if q.status == "quarantined"]
    released = [q for q in listing if q.status == "released"]
    lines: list[str] = []
    if held:
        lines += ["## Quarantined (still run and reported; they do not fail the build)", ""]
        for q in held:
            lines.append(
                f"- `{q.test_id}` since {q.since or 'an earlier run'}: {q.reason}"
                f" · this run: {q.outcome or 'not run'}"
                f" · consecutive passing executions: {q.consecutive_passes}"
            )
        lines.append("")
    if released:
        lines += ["## Released from quarantine in this run", ""]
        lines += [f"- `{q.test_id}`: {q.reason}" for q in released]
        lines.append("")
    return lines


def render_junit(results: RunResults | None, suite: TestSuite | None) -> str:
    """junit.xml of the kept tests with qaforge's verdicts (quarantined ones are skipped)."""
    verdicts: list[JunitVerdict] = []
    for r in results.results if results else []:
        if r.outcome in {TestOutcome.FAILED, TestOutcome.APP_DEFECT}:
            reason = r.failure_class.value if r.failure_class else "failed"
            verdict = JunitVerdict(
                r.test_id, r.duration_s, "failed", reason, r.outcome.value, r.message[:4000]
            )
        elif r.outcome in {TestOutcome.QUARANTINED, TestOutcome.FLAKY}:
            verdict = JunitVerdict(r.test_id, r.duration_s, "skipped", detail=r.message[:300])
        else:
            verdict = JunitVerdict(r.test_id, r.duration_s, "passed")
        verdicts.append(verdict)
    return write_junit("qaforge", verdicts)


async def render_pdf(html_path: Path, pdf_path: Path, settings: Settings) -> None:
    """Print the HTML report with the same Chromium the crawl uses."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**settings.launch_options())
        try:
            page = await browser.new_page()
            await page.goto(html_path.resolve().as_uri())
            await page.pdf(
                path=str(pdf_path),
                format="A4",
                print_background=True,
                margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"},
            )
        finally:
            await browser.close()
