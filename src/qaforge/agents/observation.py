"""The Observation agent: explores the target in a real browser into an `AppModel`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qaforge.agents.base import AgentError, BaseAgent
from qaforge.contracts.envelope import Task, TaskResult
from qaforge.contracts.events import CrawlProgressed
from qaforge.contracts.tasks import OBSERVE, ObserveRequest, ObserveResponse
from qaforge.crawl.explorer import CrawlError, Explorer
from qaforge.models import AppModel, CrawlStats
from qaforge.store.recall import remember_model


@dataclass
class ObservationAgent(BaseAgent):
    """Crawls one target per task and writes `model.json` into the run directory."""

    capabilities: frozenset[str] = frozenset({OBSERVE})
    agent_type: str = "observation"

    def can_handle(self, task: Task) -> tuple[bool, float]:
        """Its task types, when a browser can be launched on this machine."""
        able, confidence = self.capability_match(task)
        if able and not self.settings.has_browser():
            return (False, 0.0)
        return (able, confidence)

    async def execute(self, task: Task) -> TaskResult:
        """Crawl the task's target; the model is saved even when the crawl stops early."""
        req = ObserveRequest.model_validate(task.payload)

        def progressed(stats: CrawlStats) -> None:
            self.emit_soon(CrawlProgressed(run_id=task.run_id, stats=stats))

        model = await self.observe(req, progressed)
        path = Path(req.out_dir) / "model.json"
        model.save(path)
        if not model.states:
            stats = model.crawl_stats
            why = f"; {stats.errors[0]}" if stats.errors else ""
            raise AgentError(
                f"the crawl of {req.target.url} found no page it could explore (stopped by "
                f"{stats.stopped_by}{why})"
            )
        app = req.target.app or model.target.url
        await remember_model(self.settings.vector_url, app, model)  # never fails the crawl
        return self.ok(task, ObserveResponse(model_path=str(path)).model_dump())

    async def observe(
        self, req: ObserveRequest, progress: Callable[[CrawlStats], None] | None = None
    ) -> AppModel:
        """Run the crawl and return the model (raises AgentError when it cannot start)."""
        explorer = Explorer(
            self.settings,
            req.target,
            req.limits,
            progress=progress,
            artifacts_dir=Path(req.out_dir),
        )
        try:
            return await explorer.run()
        except CrawlError as exc:
            raise AgentError(str(exc)) from exc
