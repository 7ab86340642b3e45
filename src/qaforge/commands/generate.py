"""`qaforge generate MODEL.json --out DIR`: scenarios, risk and code from a saved model."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from pathlib import Path

import typer
from rich.table import Table

from qaforge.commands.common import (
    choice,
    console,
    fail,
    load_model_or_exit,
    print_json,
    settings_or_exit,
)

LANGUAGES = ["python", "ts"]


def _strategy_name(strategy: str) -> str:
    """A strategy qaforge knows; `auto` is the default one (no learning loop here)."""
    from qaforge.generate.strategy import DEFAULT_STRATEGY, StrategyRegistry

    if strategy == "auto":
        return DEFAULT_STRATEGY
    names = StrategyRegistry().names()
    if strategy not in names:
        fail(f"unknown strategy {strategy!r}; known: auto, {', '.join(names)}")
    return strategy


def generate(
    model: Path = typer.Argument(..., help="model.json written by `qaforge crawl`"),
    out: Path = typer.Option(Path("qaforge-gen"), "--out", help="directory for the suite"),
    strategy: str = typer.Option(
        "balanced", "--strategy", help="generation strategy (balanced, resilient, strict; auto)"
    ),
    lang: str = typer.Option("python", "--lang", help="python or ts"),
    standalone: bool = typer.Option(
        False,
        "--standalone",
        help="a Python suite that needs only pytest-playwright (its fixtures in its "
        "conftest.py, not from qaforge's pytest plugin)",
    ),
    max_tests: int | None = typer.Option(None, "--max-tests", min=1),
    accessibility: bool = typer.Option(False, "--accessibility"),
    app_name: str | None = typer.Option(None, "--app"),
    json_out: bool = typer.Option(False, "--json"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Run the Requirements, Analysis and Evolution agents on a saved model."""
    from qaforge.agents.analysis import AnalysisAgent
    from qaforge.agents.evolution import EvolutionAgent
    from qaforge.agents.requirements import RequirementsAgent
    from qaforge.contracts.envelope import Task
    from qaforge.contracts.tasks import AnalyzeRequest, EvolveRequest, RequireRequest
    from qaforge.generate.scenarios import load_scenarios
    from qaforge.models import TestSuite

    # Every option is checked before anything is written.
    choice(lang, LANGUAGES, "--lang")
    strategy = _strategy_name(strategy)
    if not model.is_file():
        fail(f"{model} does not exist")
    loaded = load_model_or_exit(model)
    settings = settings_or_exit(config)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    scen = out / "scenarios.json"
    app = app_name or loaded.target.app or loaded.target.url

    async def go() -> tuple[str, list[str]]:
        steps = [
            (
                RequirementsAgent(settings),
                "require",
                RequireRequest(
                    model_path=str(model), out_dir=str(out), accessibility=accessibility
                ),
            ),
            (
                AnalysisAgent(settings),
                "analyze",
                AnalyzeRequest(
                    model_path=str(model), scenarios_path=str(scen), app=app, max_tests=max_tests
                ),
            ),
            (
                EvolutionAgent(settings),
                "evolve",
                EvolveRequest(
                    model_path=str(model),
                    scenarios_path=str(scen),
                    out_dir=str(out),
                    strategy=strategy,
                    language=lang,
                    standalone=standalone,
                    app=app,
                ),
            ),
        ]
        suite_path, notes = "", []
        for agent, kind, payload in steps:
            r = await agent.handle(Task(type=kind, payload=payload.model_dump()))
            if not r.ok:
                if created:  # leave nothing half-written behind
                    shutil.rmtree(out, ignore_errors=True)
                fail(f"{kind}: {r.error}")
            suite_path = r.payload.get("suite_path", suite_path)
            notes += r.payload.get("notes", [])
        return suite_path, notes

    suite_path, notes = asyncio.run(go())
    suite = TestSuite.model_validate_json(Path(suite_path).read_text())
    scenarios = load_scenarios(scen)
    by_kind = dict(sorted(Counter(s.kind for s in scenarios).items()))
    notes = [*notes, *(n for n in suite.notes if n not in notes)]
    kept = Counter(t.origin for t in suite.tests if t.origin != "generated")
    if json_out:
        print_json(
            {
                "suite": suite_path,
                "tests": len(suite.tests),
                "by_kind": by_kind,
                "kept": dict(sorted(kept.items())),
                "notes": notes,
            }
        )
        return
    table = Table(title=f"Generated {len(suite.tests)} tests ({suite.language}, {strategy})")
    table.add_column("scenario kind")
    table.add_column("count", justify="right")
    for kind, n in by_kind.items():
        table.add_row(kind, str(n))
    console.print(table)
    for note in notes:
        console.print(f"[yellow]note[/] {note}")
    console.print(f"suite written to [bold]{suite.directory}[/]")


def register(app: typer.Typer) -> None:
    """Attach `generate`."""
    app.command("generate")(generate)
