"""The Reporting agent: summary.json, then every registered report format (report.md,
report.html, report.pdf, junit.xml and any a package adds)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from qaforge.agents.base import AgentError, BaseAgent
from qaforge.agents.llm_access import llm_client, prompt_for
from qaforge.contracts.envelope import Task, TaskResult
from qaforge.contracts.events import FindingReported
from qaforge.contracts.summary import LLMUse, TriageNote
from qaforge.contracts.tasks import REPORT, ReportRequest, ReportResponse
from qaforge.execute.engine import load_suite
from qaforge.generate.scenarios import load_scenarios
from qaforge.llm.client import LLMUnavailable
from qaforge.models import AppModel, RunResults, Scenario, TestSuite
from qaforge.report.formats import FormatRegistry, ReportInput, default_formats
from qaforge.report.summary import artifact_paths, build_summary
from qaforge.report.triage import triage

log = logging.getLogger(__name__)


@dataclass
class ReportingAgent(BaseAgent):
    """Writes every report file into the run directory."""

    capabilities: frozenset[str] = frozenset({REPORT})
    agent_type: str = "reporting"
    # What it writes besides summary.json (report/formats.py: built-ins and entry points).
    formats: FormatRegistry = field(default_factory=default_formats, repr=False)

    def can_handle(self, task: Task) -> tuple[bool, float]:
        """Its task types, with full confidence."""
        return self.capability_match(task)

    async def execute(self, task: Task) -> TaskResult:
        """Build the summary once, render it in every format, then write summary.json."""
        started = time.monotonic()
        req = ReportRequest.model_validate(task.payload)
        out = Path(req.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        model = AppModel.load(Path(req.model_path))
        scenarios = load_scenarios(Path(req.scenarios_path)) if req.scenarios_path else []
        suite = load_suite(Path(req.suite_path)) if req.suite_path else None
        results = (
            RunResults.model_validate_json(Path(req.results_path).read_text())
            if req.results_path and Path(req.results_path).exists()
            else None
        )
        tests_dir = Path(suite.directory) if suite else out / "tests"
        durations = dict(req.durations)
        # Every format shows the same figures: the time to render them is left out.
        durations["report"] = time.monotonic() - started
        if req.elapsed_s is not None:
            durations["total"] = req.elapsed_s + durations["report"]
        notes: list[TriageNote] = []
        llm = dict(req.llm)
        if req.triage:
            notes, llm["report"] = await self._triage(req, results, suite, scenarios)
        summary = build_summary(
            model,
            scenarios,
            suite,
            results,
            durations,
            artifact_paths(out, tests_dir, pdf=req.pdf),
            run_id=task.run_id,
            strategy=req.strategy,
            stage_errors=req.stage_errors,
            goals=req.goals,
            triage=notes,
            llm={k: v for k, v in llm.items() if v.calls or v.cache_hits},
        )
        code = summary.exit_code()
        report = ReportInput(summary, scenarios, suite, results, out, self.settings)
        for fmt in self.formats.ordered(skip=frozenset() if req.pdf else frozenset({"pdf"})):
            await fmt.write(report)
        path = out / "summary.json"
        summary.write(path)
        for f in summary.findings:
            await self.emit(
                FindingReported(run_id=task.run_id, finding=f.kind, where=f.where, detail=f.detail)
            )
        resp = ReportResponse(summary_path=str(path), exit_code=code)
        tokens = llm["report"].tokens if "report" in llm else 0
        return self.ok(task, resp.model_dump(), tokens=tokens)

    async def _triage(
        self,
        req: ReportRequest,
        results: RunResults | None,
        suite: TestSuite | None,
        scenarios: list[Scenario],
    ) -> tuple[list[TriageNote], LLMUse]:
        """Advice on each failed test, and its cost; a model that cannot be reached costs the
        advice, not the report."""
        if results is None:
            return [], LLMUse()
        notes: list[TriageNote] = []
        try:
            prompt = prompt_for(self, "triage-failure")
            async with llm_client(self, "--triage", req.llm_budget) as client:
                try:
                    notes = await triage(client, prompt, results, suite, scenarios)
                except LLMUnavailable as exc:
                    log.warning("no triage: %s", exc)
        except AgentError as exc:
            # Advice is a nicety: a worker without the model (or a broken prompt file) still
            # writes the report.
            log.warning("no triage: %s", exc)
            return [], LLMUse()
        u = client.usage
        return notes, LLMUse.of(u.calls, u.tokens, u.cache_hits, u.seconds)
