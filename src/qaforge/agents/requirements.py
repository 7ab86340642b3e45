"""The Requirements agent: Given/When/Then scenarios from an `AppModel`, and, when the run
names goals, scenarios a language model planned for them and the live app confirmed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from qaforge.agents.base import AgentError, BaseAgent
from qaforge.agents.llm_access import llm_client, prompt_for
from qaforge.contracts.envelope import Task, TaskResult
from qaforge.contracts.summary import GoalFigures, LLMUse
from qaforge.contracts.tasks import REQUIRE, RequireRequest, RequireResponse
from qaforge.execute.goal_check import verify_goals
from qaforge.generate.goals import GoalOutcome, plan_goal
from qaforge.generate.readable import reword
from qaforge.generate.scenarios import derive_scenarios, save_scenarios
from qaforge.llm.client import LLMBudgetSpent, LLMUnavailable, Usage
from qaforge.models import AppModel, Finding, Scenario

log = logging.getLogger(__name__)


class GoalsReport(BaseModel):
    """goals.json: what became of each goal, and what the language model cost."""

    goals: list[GoalOutcome] = Field(default_factory=list)
    calls: int = 0
    tokens: int = 0
    cache_hits: int = 0
    seconds: float = 0.0
    repaired: int = 0
    dropped: int = 0
    # Set when the token budget ran out: the goals after it were not planned.
    budget_note: str = ""

    def figures(self) -> GoalFigures:
        """The summary's figures of the goals."""
        return GoalFigures(
            asked=len(self.goals),
            reached=sum(1 for g in self.goals if g.scenarios),
            scenarios=sum(len(g.scenarios) for g in self.goals),
            rejected=sum(len(g.rejected) for g in self.goals),
            failed_live=sum(len(g.failed) for g in self.goals),
            not_reached=sum(1 for g in self.goals if not g.scenarios and not g.skipped),
            skipped=sum(1 for g in self.goals if g.skipped),
            calls=self.calls,
            tokens=self.tokens,
            cache_hits=self.cache_hits,
            seconds=self.seconds,
        )

    @classmethod
    def of(cls, goals: list[GoalOutcome], usage: Usage, budget_note: str) -> GoalsReport:
        return cls(
            goals=goals,
            calls=usage.calls,
            tokens=usage.tokens,
            cache_hits=usage.cache_hits,
            seconds=round(usage.seconds, 3),
            repaired=usage.repaired,
            dropped=usage.dropped,
            budget_note=budget_note,
        )


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
        use = LLMUse()
        goals_path: Path | None = None
        figures: GoalFigures | None = None
        if req.goals:
            report = await self._plan(req, model)
            figures = report.figures()
            outcomes = report.goals
            use = LLMUse(
                calls=report.calls,
                tokens=report.tokens,
                cache_hits=report.cache_hits,
                seconds=report.seconds,
            )
            goals_path = Path(req.out_dir) / "goals.json"
            goals_path.write_text(report.model_dump_json(indent=2), encoding="utf-8")
            # A goal with no way to reach it is a finding of the run, not a silent drop; one
            # the budget left unplanned is not about the app (goals.json says so).
            missed = [o for o in outcomes if not o.scenarios and not o.skipped]
            # A task done again (redelivered, resumed) replaces its findings, never adds twice.
            model.findings = [f for f in model.findings if f.kind != "goal-not-reached"] + [
                Finding(kind="goal-not-reached", where=o.goal, detail=_why_missed(o))
                for o in missed
            ]
            model.save(model_path)
        planned = [sc for o in outcomes for sc in o.scenarios]
        scenarios = derive_scenarios(model, accessibility=req.accessibility, planned=planned)
        if req.readable:
            use = use.plus(await self._reword(req, scenarios, use.tokens))
        path = Path(req.out_dir) / "scenarios.json"
        save_scenarios(path, scenarios)
        resp = RequireResponse(
            scenarios_path=str(path),
            goals_path=str(goals_path) if goals_path else None,
            goals=figures,
            llm=use if use.calls or use.cache_hits else None,
        )
        return self.ok(task, resp.model_dump(), tokens=use.tokens)

    async def _plan(self, req: RequireRequest, model: AppModel) -> GoalsReport:
        prompt = prompt_for(self, "plan-goal")
        outcomes: list[GoalOutcome] = []
        budget_note = ""
        async with llm_client(self, "planning scenarios for goals", req.llm_budget) as client:
            try:
                for goal in req.goals:
                    if not budget_note:
                        try:
                            outcomes.append(await plan_goal(client, prompt, model, goal))
                            continue
                        except LLMBudgetSpent as exc:
                            budget_note = f"not planned: {exc}; the run went on without the model"
                    outcomes.append(
                        GoalOutcome(goal=goal, variant=prompt.variant, skipped=budget_note)
                    )
            except LLMUnavailable as exc:
                raise AgentError(str(exc)) from exc
        await verify_goals(self.settings, model, outcomes, Path(req.out_dir))
        return GoalsReport.of(outcomes, client.usage, budget_note)

    async def _reword(self, req: RequireRequest, scenarios: list[Scenario], spent: int) -> LLMUse:
        """Reword the scenarios with the model; returns what it cost."""
        budget = None if req.llm_budget is None else max(0, req.llm_budget - spent)
        try:
            prompt = prompt_for(self, "readable-requirements")
            async with llm_client(self, "--readable", budget) as client:
                done = await reword(client, prompt, scenarios)
        except (AgentError, LLMUnavailable) as exc:
            # Wording is a nicety: the scenarios stand as generated.
            log.warning("the scenarios keep their generated wording: %s", exc)
            return LLMUse()
        log.info(
            "%d of %d scenarios reworded (%d tokens)", done, len(scenarios), client.usage.tokens
        )
        return _use(client.usage)


def _use(u: Usage) -> LLMUse:
    return LLMUse(
        calls=u.calls, tokens=u.tokens, cache_hits=u.cache_hits, seconds=round(u.seconds, 3)
    )


def _why_missed(o: GoalOutcome) -> str:
    if o.unreachable:
        return f"no way found: {o.unreachable}"
    if o.failed:
        return "every planned scenario failed on the live app: " + "; ".join(o.failed.values())
    if o.dropped:
        return f"the planner's answer was not valid twice: {o.dropped}"
    return "no way found: " + "; ".join(o.rejected[:3])
