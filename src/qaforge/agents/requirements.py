"""The Requirements agent: Given/When/Then scenarios from an `AppModel`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qaforge.agents.base import BaseAgent
from qaforge.contracts.envelope import Task, TaskResult
from qaforge.contracts.tasks import REQUIRE, RequireRequest, RequireResponse
from qaforge.generate.scenarios import derive_scenarios, save_scenarios
from qaforge.models import AppModel


@dataclass
class RequirementsAgent(BaseAgent):
    """Writes `scenarios.json` next to the model."""

    capabilities: frozenset[str] = frozenset({REQUIRE})
    agent_type: str = "requirements"

    def can_handle(self, task: Task) -> tuple[bool, float]:
        """Its task types, with full confidence."""
        return self.capability_match(task)

    async def execute(self, task: Task) -> TaskResult:
        """Derive every scenario kind from the model."""
        req = RequireRequest.model_validate(task.payload)
        model = AppModel.load(Path(req.model_path))
        scenarios = derive_scenarios(model, accessibility=req.accessibility)
        path = Path(req.out_dir) / "scenarios.json"
        save_scenarios(path, scenarios)
        return self.ok(task, RequireResponse(scenarios_path=str(path)).model_dump())
