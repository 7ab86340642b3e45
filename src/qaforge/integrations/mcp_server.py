"""`qaforge mcp`: qaforge's work as tools of the Model Context Protocol, for assistants.

Tools: crawl, generate, run, test, heal, list_runs, run_summary; resources: a run's model,
scenarios and report. Long work reports its stages as progress. Credentials are never a tool
argument: a login reads QAFORGE_USERNAME / QAFORGE_PASSWORD of the server's environment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ToolError

from qaforge.config import Settings
from qaforge.contracts.envelope import Task
from qaforge.contracts.events import EventHub, StageStarted
from qaforge.contracts.summary import RunSummary
from qaforge.contracts.tasks import (
    AnalyzeRequest,
    CrawlLimits,
    EvolveRequest,
    ObserveRequest,
    RequireRequest,
)
from qaforge.errors import UserError
from qaforge.models import Auth, Target
from qaforge.orchestrate.orchestrator import run_graph
from qaforge.orchestrate.request import RunOutcome, RunRequest

STAGES = ["observe", "require", "analyze", "evolve", "execute", "heal", "report"]
USERNAME_ENV, PASSWORD_ENV = "QAFORGE_USERNAME", "QAFORGE_PASSWORD"


def _auth(login_url: str | None) -> Auth:
    """A login by reference to the server's environment (never a value in a tool call)."""
    if not login_url:
        return Auth()
    return Auth(
        login_url=login_url, username_ref=f"env:{USERNAME_ENV}", password_ref=f"env:{PASSWORD_ENV}"
    )


def _figures(outcome: RunOutcome) -> dict[str, Any]:
    s = outcome.summary
    return {
        "run_id": outcome.run_id,
        "exit_code": outcome.exit_code,
        "tests": s.tests.model_dump(mode="json"),
        "pass_rate": s.pass_rate,
        "findings": [f.model_dump(mode="json") for f in s.findings],
        "report": s.artifacts.report_md,
        "tests_dir": s.artifacts.tests_dir,
    }


def build_server(settings: Settings) -> MCPServer:
    """The MCP server over `settings` (the same database and home as the CLI)."""
    mcp: MCPServer = MCPServer(
        name="qaforge",
        instructions=(
            "qaforge explores a running web app in a real browser and writes, runs and heals "
            "Playwright tests for it. Use `run` for the whole pipeline on a URL, `test` to run "
            "a suite it wrote, `list_runs` and `run_summary` to read results."
        ),
    )

    async def drive(req: RunRequest, ctx: Context) -> dict[str, Any]:
        hub = EventHub()

        async def stage(event: StageStarted) -> None:
            n = STAGES.index(event.stage) if event.stage in STAGES else 0
            await ctx.report_progress(n, len(STAGES), f"stage {event.stage}")

        hub.subscribe(stage, StageStarted)
        try:
            outcome = await run_graph(req, settings, events=hub)
        except UserError as exc:
            raise ToolError(str(exc)) from None
        await ctx.report_progress(len(STAGES), len(STAGES), "done")
        return _figures(outcome)

    @mcp.tool()
    async def run(
        url: str,
        out: str,
        ctx: Context,
        max_tests: int | None = None,
        max_states: int = 40,
        time_budget_s: float = 120.0,
        login_url: str | None = None,
    ) -> dict[str, Any]:
        """Explore `url`, write tests, run and heal them, report; returns the figures, the
        findings and where the report and the suite are (under `out`)."""
        if not url.startswith(("http://", "https://")):
            raise ToolError(f"{url!r} is not an http(s) URL")
        observe = ObserveRequest(
            target=Target(url=url, auth=_auth(login_url)),
            limits=CrawlLimits(
                max_states=max_states,
                time_budget_s=time_budget_s,
                contexts=settings.browser_contexts,
            ),
            out_dir=out,
        )
        req = RunRequest(
            observe=observe,
            out_dir=out,
            app=url,
            max_tests=max_tests,
            workers=settings.test_workers,
        )
        return await drive(req, ctx)

    @mcp.tool()
    async def test(
        tests_dir: str, ctx: Context, base_url: str | None = None, heal: bool = True
    ) -> dict[str, Any]:
        """Run a suite qaforge wrote (reruns, classification, healing unless `heal` is false);
        returns the figures and findings."""
        from qaforge.models import AppModel
        from qaforge.orchestrate.graph import base_url_of

        suite = Path(tests_dir)
        if not (suite / "suite.json").is_file() or not (suite / "model.json").is_file():
            raise ToolError(f"{tests_dir} is not a suite qaforge wrote (suite.json, model.json)")
        model = AppModel.load(suite / "model.json")
        target = base_url or base_url_of(model.target.url)
        req = RunRequest(
            observe=ObserveRequest(target=Target(url=target), out_dir=str(suite.parent)),
            out_dir=str(suite.parent),
            app=model.target.app or model.target.url,
            workers=settings.test_workers,
            heal=heal,
            existing_suite=str(suite),
            base_url=target,
        )
        return await drive(req, ctx)

    @mcp.tool()
    async def heal(tests_dir: str, ctx: Context, base_url: str | None = None) -> dict[str, Any]:
        """Run a suite once and heal the tests whose locators broke while the app works."""
        return await test(tests_dir, ctx, base_url=base_url, heal=True)

    @mcp.tool()
    async def crawl(
        url: str,
        out: str,
        ctx: Context,
        max_states: int = 40,
        time_budget_s: float = 120.0,
        login_url: str | None = None,
    ) -> dict[str, Any]:
        """Explore `url` only; writes `out`/model.json and returns what was found."""
        from qaforge.agents.observation import ObservationAgent

        req = ObserveRequest(
            target=Target(url=url, auth=_auth(login_url)),
            limits=CrawlLimits(
                max_states=max_states,
                time_budget_s=time_budget_s,
                contexts=settings.browser_contexts,
            ),
            out_dir=out,
        )
        await ctx.report_progress(0, 1, "exploring")
        model = await ObservationAgent(settings).observe(req, None)
        await ctx.report_progress(1, 1, "done")
        stats = model.crawl_stats
        return {
            "model": str(Path(out) / "model.json"),
            "states": stats.states,
            "templates": sorted(model.templates()),
            "forms": stats.forms,
            "transitions": stats.transitions,
            "errors": stats.errors[:20],
            "findings": [f.model_dump(mode="json") for f in model.findings][:20],
        }

    @mcp.tool()
    async def generate(
        model_path: str, out: str, ctx: Context, max_tests: int | None = None, lang: str = "python"
    ) -> dict[str, Any]:
        """Write scenarios and a test suite from a crawl's model.json (nothing is run)."""
        from qaforge.agents.analysis import AnalysisAgent
        from qaforge.agents.evolution import EvolutionAgent
        from qaforge.agents.requirements import RequirementsAgent

        scen = str(Path(out) / "scenarios.json")
        steps: list[tuple[Any, str, Any]] = [
            (
                RequirementsAgent(settings),
                "require",
                RequireRequest(model_path=model_path, out_dir=out),
            ),
            (
                AnalysisAgent(settings),
                "analyze",
                AnalyzeRequest(
                    model_path=model_path, scenarios_path=scen, app=model_path, max_tests=max_tests
                ),
            ),
            (
                EvolutionAgent(settings),
                "evolve",
                EvolveRequest(
                    model_path=model_path,
                    scenarios_path=scen,
                    out_dir=out,
                    language=lang,
                    app=model_path,
                ),
            ),
        ]
        suite_path = ""
        for i, (agent, kind, payload) in enumerate(steps):
            await ctx.report_progress(i, len(steps), kind)
            r = await agent.handle(Task(type=kind, payload=payload.model_dump()))
            if not r.ok:
                raise ToolError(f"{kind}: {r.error}")
            suite_path = r.payload.get("suite_path", suite_path)
        suite = json.loads(Path(suite_path).read_text(encoding="utf-8"))
        return {"suite": suite_path, "tests": len(suite.get("tests", [])), "scenarios": scen}

    @mcp.tool()
    async def list_runs(limit: int = 20) -> list[dict[str, Any]]:
        """The newest runs: id, app, state, stage, exit code."""
        from qaforge.orchestrate.runs import RunStore
        from qaforge.store.database import Database
        from qaforge.store.migrate import ensure_schema

        assert settings.database_url is not None
        import asyncio

        await asyncio.to_thread(ensure_schema, settings.database_url)
        db = Database(settings.database_url)
        try:
            return [r.as_dict() for r in await RunStore(db).all(limit=max(1, min(limit, 200)))]
        finally:
            await db.dispose()

    async def _summary(run_id: str) -> tuple[RunSummary, Path]:
        from qaforge.orchestrate.runs import RunStore
        from qaforge.store.database import Database

        assert settings.database_url is not None
        db = Database(settings.database_url)
        try:
            info = await RunStore(db).get(run_id)
        except UserError as exc:
            raise ToolError(str(exc)) from None
        finally:
            await db.dispose()
        if not info.summary_path:
            raise ToolError(f"run {run_id} has no summary yet (state {info.state.value})")
        return RunSummary.load(Path(info.summary_path)), Path(info.out_dir)

    @mcp.tool()
    async def run_summary(run_id: str) -> dict[str, Any]:
        """A run's figures, findings, failed stages and artifacts."""
        s, _ = await _summary(run_id)
        return {
            "run_id": run_id,
            "tests": s.tests.model_dump(mode="json"),
            "pass_rate": s.pass_rate,
            "coverage": s.coverage.model_dump(mode="json"),
            "findings": [f.model_dump(mode="json") for f in s.findings],
            "stage_errors": s.stage_errors,
            "artifacts": s.artifacts.model_dump(mode="json"),
        }

    async def _file(run_id: str, name: str) -> str:
        _, out = await _summary(run_id)
        path = out / name
        if not path.is_file():
            raise ResourceError(f"run {run_id} has no {name}")
        return path.read_text(encoding="utf-8")

    @mcp.resource("qaforge://runs/{run_id}/model", mime_type="application/json")
    async def model(run_id: str) -> str:
        """The app model the run's crawl built."""
        return await _file(run_id, "model.json")

    @mcp.resource("qaforge://runs/{run_id}/scenarios", mime_type="application/json")
    async def scenarios(run_id: str) -> str:
        """The run's Given/When/Then scenarios."""
        return await _file(run_id, "scenarios.json")

    @mcp.resource("qaforge://runs/{run_id}/report", mime_type="text/markdown")
    async def report(run_id: str) -> str:
        """The run's report (Markdown)."""
        return await _file(run_id, "report.md")

    return mcp
