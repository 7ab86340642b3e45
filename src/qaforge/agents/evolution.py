"""The Evolution agent: runnable Playwright code for the ranked scenarios."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from qaforge.agents.base import AgentError, BaseAgent
from qaforge.contracts.envelope import Task, TaskResult
from qaforge.contracts.tasks import EVOLVE, EvolveRequest, EvolveResponse
from qaforge.generate.scenarios import load_scenarios
from qaforge.generate.strategy import Strategy, StrategyRegistry
from qaforge.generate.suite import CodeSafetyError, write_suite
from qaforge.models import AppModel


@dataclass
class EvolutionAgent(BaseAgent):
    """Writes the suite into `out_dir/tests` with the chosen strategy."""

    capabilities: frozenset[str] = frozenset({EVOLVE})
    agent_type: str = "evolution"
    strategies: StrategyRegistry = field(default_factory=StrategyRegistry)

    def can_handle(self, task: Task) -> tuple[bool, float]:
        """Its task types, with full confidence."""
        return self.capability_match(task)

    async def execute(self, task: Task) -> TaskResult:
        """Emit the suite (Python by default, TypeScript with language "ts")."""
        req = EvolveRequest.model_validate(task.payload)
        if req.strategy_params is not None:
            strategy = Strategy.model_validate(req.strategy_params)
        else:
            try:
                strategy = self.strategies.get(req.strategy)
            except KeyError as exc:
                raise AgentError(str(exc.args[0])) from exc
        if req.language not in {"python", "ts"}:
            raise AgentError(f"unknown language {req.language!r}; use python or ts")
        model = AppModel.load(Path(req.model_path))
        scenarios = load_scenarios(Path(req.scenarios_path))
        out = Path(req.out_dir) / "tests"
        try:
            write_suite(model, scenarios, out, strategy, req.language, standalone=req.standalone)
        except CodeSafetyError as exc:
            raise AgentError(str(exc)) from exc
        return self.ok(task, EvolveResponse(suite_path=str(out / "suite.json")).model_dump())
