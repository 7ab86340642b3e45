"""The Requirements agent: Given/When/Then scenarios from an `AppModel`, and, when the run
names goals, scenarios a language model planned for them and the live app confirmed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from qaforge.agents.base import AgentError, BaseAgent
from qaforge.contracts.envelope import Task, TaskResult
from qaforge.contracts.tasks import REQUIRE, RequireRequest, RequireResponse
from qaforge.execute.goal_check import verify_goals
from qaforge.generate.goals import GoalOutcome, plan_goal
from qaforge.generate.llm_answers import ANSWERS
from qaforge.generate.scenarios import derive_scenarios, save_scenarios
from qaforge.llm.client import LLMClient, LLMUnavailable
from qaforge.llm.endpoint import LLMEndpoint, LLMNotConfigured
from qaforge.llm.prompts import PromptError, PromptLibrary
from qaforge.models import AppModel, Finding


@dataclass
class RequirementsAgent(BaseAgent):
    """Writes `scenarios.json` next to the model (and `goals.json` for a run with goals)."""

    capabilities: frozenset[str] = frozenset({REQUIRE})
    agent_type: str = "requirements"

    def can_handle(self, task: Task) -> tuple[bool, float]:
        """Its task types, with full confidence."""
        return self.capability_match(task)

    async def execute(self, task: Task) -> TaskResult:
        """Derive every scenario kind from the model, the goals' verified ones among them."""
        req = RequireRequest.model_validate(task.payload)
        model_path = Path(req.model_path)
        model = AppModel.load(model_path)
        outcomes: list[GoalOutcome] = []
        tokens = 0
        goals_path: Path | None = None
        if req.goals:
            outcomes, tokens = await self._plan(req, model)
            goals_path = Path(req.out_dir) / "goals.json"
            goals_path.write_text(
                json.dumps([o.model_dump(mode="json") for o in outcomes], indent=2),
                encoding="utf-8",
            )
            # A goal with no way to reach it is a finding of the run, not a silent drop.
            missed = [o for o in outcomes if not o.scenarios]
            if missed:
                model.findings += [
                    Finding(kind="goal-not-reached", where=o.goal, detail=_why_missed(o))
                    for o in missed
                ]
                model.save(model_path)
        planned = [sc for o in outcomes for sc in o.scenarios]
        scenarios = derive_scenarios(model, accessibility=req.accessibility, planned=planned)
        path = Path(req.out_dir) / "scenarios.json"
        save_scenarios(path, scenarios)
        resp = RequireResponse(
            scenarios_path=str(path), goals_path=str(goals_path) if goals_path else None
        )
        return self.ok(task, resp.model_dump(), tokens=tokens)

    async def _plan(self, req: RequireRequest, model: AppModel) -> tuple[list[GoalOutcome], int]:
        try:
            endpoint = LLMEndpoint.required(self.settings, "planning scenarios for goals")
            prompt = PromptLibrary(ANSWERS, self.settings.prompts_dir).get("plan-goal")
        except (LLMNotConfigured, PromptError) as exc:
            raise AgentError(str(exc)) from exc
        client = LLMClient(endpoint, self.breaker(f"llm {endpoint.shown}"))
        try:
            outcomes = [await plan_goal(client, prompt, model, goal) for goal in req.goals]
        except LLMUnavailable as exc:
            raise AgentError(str(exc)) from exc
        finally:
            await client.close()
        await verify_goals(self.settings, model, outcomes, Path(req.out_dir))
        return outcomes, client.usage.tokens


def _why_missed(o: GoalOutcome) -> str:
    if o.unreachable:
        return f"no way found: {o.unreachable}"
    if o.failed:
        return "every planned scenario failed on the live app: " + "; ".join(o.failed.values())
    if o.dropped:
        return f"the planner's answer was not valid twice: {o.dropped}"
    return "no way found: " + "; ".join(o.rejected[:3])
