"""Typed payloads of the tasks the orchestrator sends to each agent type.

Large documents travel as file paths inside the run directory, not inline, so the same task
works in one process and across worker processes on one machine (the run directory is the
shared medium). Credentials travel only as references (`env:NAME`).

Run directory layout (`--out DIR`):
    DIR/model.json          AppModel (Observation)
    DIR/scenarios.json      Scenario[] (Requirements, then ranked by Analysis)
    DIR/tests/              generated suite: conftest.py, test_*.py, scenarios.feature,
                            suite.json (TestSuite), model.json (copy, for `qaforge test`)
    DIR/results.json        RunResults (Execution, updated by healing)
    DIR/junit.xml, DIR/report.md, DIR/report.html, DIR/report.pdf, DIR/summary.json (Reporting)
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from qaforge.contracts.summary import GoalFigures, LLMUse, StrategyInfo
from qaforge.models import Auth, Target

# Task types (capabilities).
OBSERVE = "observe"
REQUIRE = "require"
ANALYZE = "analyze"
EVOLVE = "evolve"
EXECUTE = "execute"
HEAL = "heal"
REPORT = "report"


# With no --max-states, the crawl keeps at most one state per this many seconds of its budget
# (and never fewer than MIN_STATES): on 2 cores a real app's state costs about 1-2 s of
# browser time, so the budget, not a fixed cap, is what ends a crawl of a large app.
SECONDS_PER_STATE = 2.0
MIN_STATES = 60


class CrawlLimits(BaseModel):
    max_states: int | None = None  # None: follows the time budget (`state_cap`)
    max_depth: int = 6
    max_actions: int = 400
    time_budget_s: float = 300.0
    instances_per_template: int = 3
    contexts: int = 2
    action_delay_ms: int = 0
    allow_destructive: bool = False
    deny_labels: list[str] = Field(default_factory=list)  # extra destructive labels
    page_timeout_ms: int = 15_000
    seed: int = 0
    # Pages the HTTP walk may fetch before the browser starts (0: no walk).
    http_pages: int = 400

    @property
    def state_cap(self) -> int:
        """The most states the crawl keeps: `max_states` if given, else one per
        `SECONDS_PER_STATE` of the budget, at least `MIN_STATES`."""
        if self.max_states is not None:
            return self.max_states
        return max(MIN_STATES, int(self.time_budget_s / SECONDS_PER_STATE))


class ObserveRequest(BaseModel):
    target: Target
    limits: CrawlLimits = Field(default_factory=CrawlLimits)
    out_dir: str


class ObserveResponse(BaseModel):
    model_path: str


class RequireRequest(BaseModel):
    model_path: str
    out_dir: str
    accessibility: bool = False
    # Goals and stories to plan scenarios for (needs a language model).
    goals: list[str] = Field(default_factory=list)
    # Tokens the language model may spend on them (None: no limit).
    llm_budget: int | None = None
    # Reword each scenario's Given/When/Then with the language model.
    readable: bool = False


class RequireResponse(BaseModel):
    scenarios_path: str
    # goals.json: what became of each goal (planned, rejected, verified, not reached).
    goals_path: str | None = None
    goals: GoalFigures | None = None
    llm: LLMUse | None = None


class AnalyzeRequest(BaseModel):
    model_path: str
    scenarios_path: str
    app: str
    max_tests: int | None = None


class AnalyzeResponse(BaseModel):
    scenarios_path: str
    dropped: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class EvolveRequest(BaseModel):
    model_path: str
    scenarios_path: str
    out_dir: str  # the suite goes to out_dir/tests
    strategy: str = "balanced"
    # A full strategy definition (a variant from the learning loop) overrides the name lookup.
    strategy_params: dict[str, Any] | None = None
    language: str = "python"
    # A Python suite that carries its fixtures (needs only pytest-playwright, not qaforge).
    standalone: bool = False
    app: str = ""
    # Attribution for the learning loop's recorder (which variant, which experiment arm).
    variant_id: int | None = None
    experiment_id: int | None = None
    patterns_applied: list[str] = Field(default_factory=list)


class EvolveResponse(BaseModel):
    suite_path: str  # .../tests/suite.json


class ExecuteRequest(BaseModel):
    suite_path: str
    base_url: str
    out_dir: str
    runs: int = 2
    workers: int = 2
    test_timeout_s: float = 60.0
    # The app's login, as references: the suite is given the values they name.
    auth: Auth = Field(default_factory=Auth)


class ExecuteResponse(BaseModel):
    results_path: str


class HealRequest(BaseModel):
    suite_path: str
    results_path: str
    model_path: str
    base_url: str
    out_dir: str


class HealResponse(BaseModel):
    results_path: str
    healed: int = 0
    attempted: int = 0


class ReportRequest(BaseModel):
    out_dir: str
    model_path: str
    scenarios_path: str | None = None
    suite_path: str | None = None
    results_path: str | None = None
    durations: dict[str, float] = Field(default_factory=dict)
    pdf: bool = True
    # The run's wall time when the report was asked for (the summary's total adds the
    # report's own time); None: the sum of the stages.
    elapsed_s: float | None = None
    # How `run` chose its strategy; None: the suite's own strategy name.
    strategy: StrategyInfo | None = None
    stage_errors: list[str] = Field(default_factory=list)
    goals: GoalFigures | None = None
    # Explain each failed test with the language model (advice in the report).
    triage: bool = False
    # Tokens the model may still spend in this run (None: no limit).
    llm_budget: int | None = None
    # What the model cost the stages before the report.
    llm: dict[str, LLMUse] = Field(default_factory=dict)


class ReportResponse(BaseModel):
    summary_path: str
    exit_code: int
