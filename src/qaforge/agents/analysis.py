"""The Analysis agent: risk 0..1 per scenario, explained, ordered, within a budget."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qaforge.agents.base import BaseAgent
from qaforge.contracts.envelope import Task, TaskResult
from qaforge.contracts.tasks import ANALYZE, AnalyzeRequest, AnalyzeResponse
from qaforge.generate.risk import HistoryProvider, apply_budget, score
from qaforge.generate.scenarios import load_scenarios, save_scenarios
from qaforge.models import AppModel


@dataclass
class AnalysisAgent(BaseAgent):
    """Ranks `scenarios.json` in place; history of past runs raises the risk of weak spots."""

    capabilities: frozenset[str] = frozenset({ANALYZE})
    agent_type: str = "analysis"
    history: HistoryProvider | None = None

    def can_handle(self, task: Task) -> tuple[bool, float]:
        """Its task types, with full confidence."""
        return self.capability_match(task)

    async def execute(self, task: Task) -> TaskResult:
        """Score, order and apply the budget."""
        req = AnalyzeRequest.model_validate(task.payload)
        model = AppModel.load(Path(req.model_path))
        history = self.history
        if history is None and self.settings.database_url:
            from qaforge.learn.history import load_history

            history = await load_history(self.settings.database_url, req.app)
        ranked = score(load_scenarios(Path(req.scenarios_path)), model, req.app, history)
        kept, dropped, notes = apply_budget(ranked, req.max_tests)
        save_scenarios(Path(req.scenarios_path), kept)
        resp = AnalyzeResponse(
            scenarios_path=req.scenarios_path, dropped=[s.title for s in dropped], notes=notes
        )
        return self.ok(task, resp.model_dump())
