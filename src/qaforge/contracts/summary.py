"""summary.json as a type: the figures of one run, built once by the Reporting agent and read by
every report format, the CLI's table, the learning loop and scripts (`--json`).

A figure that has nothing to measure is None ("n/a"), never 100 %: a pass rate without a test
that ran, the share of forms covered in an app without forms.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pydantic import BaseModel, Field

from qaforge.models import RunResults, TestOutcome, TestSuite

# 2: pass rate and coverage are null on empty sets; `strategy` is always an object.
SUMMARY_VERSION = 2
STAGES = ("observe", "require", "analyze", "evolve", "execute", "report")


class _Figures(BaseModel):
    """Unknown keys are ignored: a summary.json written by a later version still reads."""


class CrawlFigures(_Figures):
    states: int = 0
    templates: int = 0
    transitions: int = 0
    forms: int = 0
    actions: int = 0
    duration_s: float = 0.0
    stopped_by: str = ""
    errors: list[str] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)
    browser_restarts: int = 0
    http_pages: int = 0
    http_templates: int = 0
    http_duration_s: float = 0.0


class ScenarioFigures(_Figures):
    total: int = 0
    by_kind: dict[str, int] = Field(default_factory=dict)


class TestCounts(_Figures):
    """How the suite's tests fared; `passed` includes healed tests."""

    __test__ = False  # not a pytest test class, whatever its name says

    generated: int = 0
    passed: int = 0
    failed: int = 0
    flaky: int = 0
    healed: int = 0
    quarantined: int = 0
    app_defects: int = 0

    @classmethod
    def of(
        cls,
        results: RunResults | None,
        suite: TestSuite | None,
        leave_out: frozenset[str] = frozenset(),
    ) -> TestCounts:
        """The counts of a run's final verdicts, without the tests whose ids are `leave_out`."""
        kept = [r for r in (results.results if results else []) if r.test_id not in leave_out]
        c = Counter(r.outcome for r in kept)
        flaky_seen = sum(1 for r in kept if r.message.startswith("flaky"))
        tests = [t for t in (suite.tests if suite else []) if t.test_id not in leave_out]
        return cls(
            generated=len(tests),
            passed=c[TestOutcome.PASSED] + c[TestOutcome.HEALED],
            failed=c[TestOutcome.FAILED],
            flaky=c[TestOutcome.FLAKY] + flaky_seen,
            healed=c[TestOutcome.HEALED],
            quarantined=c[TestOutcome.QUARANTINED],
            app_defects=c[TestOutcome.APP_DEFECT],
        )

    def pass_rate(self, executed: bool = True) -> float | None:
        """passed / (generated − app_defects − quarantined) (architecture.md §6); None ("n/a")
        when the suite did not run or no kept test is left to judge."""
        denom = self.generated - self.app_defects - self.quarantined
        return round(self.passed / denom, 4) if executed and denom > 0 else None


class CoverageFigures(_Figures):
    """Shares of the crawl's templates, kept transitions and submitted forms a kept test
    covers; None where the crawl found none."""

    templates: float | None = None
    transitions: float | None = None
    forms: float | None = None


class SummaryFinding(_Figures):
    """Something wrong with the app: a crawl finding, or a test that failed on an app defect."""

    kind: str
    where: str
    detail: str


class Durations(_Figures):
    """Seconds per stage; `total` is the run's wall time up to its report."""

    observe: float = 0.0
    require: float = 0.0
    analyze: float = 0.0
    evolve: float = 0.0
    execute: float = 0.0
    report: float = 0.0
    total: float = 0.0


class StrategyInfo(_Figures):
    """The generation strategy: its name, and for `run` how it was chosen and its variant."""

    name: str = ""
    chosen_by: str | None = None
    variant_id: int | None = None

    def label(self) -> str:
        """ "balanced (bandit)", or the bare name when nothing chose it."""
        return f"{self.name} ({self.chosen_by})" if self.chosen_by else self.name


def percent(value: float | None) -> str:
    """A share as "87%", or "n/a" where nothing was there to measure."""
    return "n/a" if value is None else f"{value:.0%}"


class QuarantineItem(_Figures):
    """A quarantined test (since when, why, this run's outcome), or one this run released."""

    test_id: str
    status: str  # quarantined | released
    since: str = ""
    reason: str = ""
    consecutive_passes: int = 0
    outcome: str = ""


class GoalFigures(_Figures):
    """What the run's goals (`--goal`, `--stories`) became, and what the model cost."""

    asked: int = 0
    # Goals with at least one scenario the live app confirmed (now tests of kind "goal").
    reached: int = 0
    scenarios: int = 0
    # Proposals naming what the app model lacks, and proposals that failed on the live app.
    rejected: int = 0
    failed_live: int = 0
    not_reached: int = 0
    # Not planned: the token budget was spent.
    skipped: int = 0
    calls: int = 0
    tokens: int = 0
    cache_hits: int = 0
    seconds: float = 0.0


class LLMUse(_Figures):
    """What the language model cost one stage."""

    calls: int = 0
    tokens: int = 0
    cache_hits: int = 0
    seconds: float = 0.0

    @classmethod
    def of(cls, calls: int, tokens: int, cache_hits: int, seconds: float) -> LLMUse:
        """From a client's counters."""
        return cls(calls=calls, tokens=tokens, cache_hits=cache_hits, seconds=round(seconds, 3))

    def plus(self, other: LLMUse) -> LLMUse:
        """Both together."""
        return LLMUse(
            calls=self.calls + other.calls,
            tokens=self.tokens + other.tokens,
            cache_hits=self.cache_hits + other.cache_hits,
            seconds=round(self.seconds + other.seconds, 3),
        )


class TriageNote(_Figures):
    """A language model's reading of one failed test: advice beside the verdict, never a
    verdict of its own."""

    test_id: str
    verdict: str
    likely: str = ""
    note: str = ""


class Artifacts(_Figures):
    tests_dir: str = ""
    report_html: str = ""
    report_md: str = ""
    report_pdf: str = ""  # "" when no PDF was written
    junit: str = ""
    summary: str = ""


class RunSummary(_Figures):
    """The figures of one run (summary.json)."""

    schema_version: int = SUMMARY_VERSION
    run_id: str = ""
    target: str
    app: str = ""
    crawl: CrawlFigures = Field(default_factory=CrawlFigures)
    scenarios: ScenarioFigures = Field(default_factory=ScenarioFigures)
    tests: TestCounts = Field(default_factory=TestCounts)
    # passed / (generated − app_defects − quarantined); None when no kept test ran.
    pass_rate: float | None = None
    coverage: CoverageFigures = Field(default_factory=CoverageFigures)
    findings: list[SummaryFinding] = Field(default_factory=list)
    durations: Durations = Field(default_factory=Durations)
    artifacts: Artifacts = Field(default_factory=Artifacts)
    strategy: StrategyInfo = Field(default_factory=StrategyInfo)
    quarantine: list[QuarantineItem] = Field(default_factory=list)
    recheck: str = ""
    # Whether the suite was run at all (a TypeScript suite is written, not run).
    executed: bool = False
    stage_errors: list[str] = Field(default_factory=list)
    # What the generator left out and why (a scenario it could not write, page checks a
    # TypeScript suite has no runtime for).
    notes: list[str] = Field(default_factory=list)
    # None for a run without goals.
    goals: GoalFigures | None = None
    # With --triage: one note per failed test (the first 30).
    triage: list[TriageNote] = Field(default_factory=list)
    # The language model's cost per stage ("require", "report"); empty when none was used.
    llm: dict[str, LLMUse] = Field(default_factory=dict)

    def exit_code(self) -> int:
        """0 all kept tests passed and no app defect; 1 otherwise (architecture.md §6)."""
        t = self.tests
        return 1 if t.failed or t.app_defects or self.findings else 0

    def write(self, path: Path) -> None:
        """Write it as summary.json."""
        path.write_text(self.model_dump_json(indent=2), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> RunSummary:
        """Read a summary.json this version wrote."""
        return cls.model_validate_json(path.read_text(encoding="utf-8"))
