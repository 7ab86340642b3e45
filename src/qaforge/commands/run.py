"""`qaforge run URL` (the whole pipeline) and `qaforge test DIR` (an existing suite)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from qaforge.commands.common import console, fail, print_json, settings_or_exit
from qaforge.commands.crawl import CrawlOptions, _with_crawl_options, build_request
from qaforge.config import Settings
from qaforge.orchestrate.request import RunOutcome, RunRequest

STAGE_LABEL = {
    "observe": "exploring the app",
    "require": "writing scenarios",
    "analyze": "ranking by risk",
    "evolve": "writing tests",
    "execute": "running tests (twice, to catch flaky ones)",
    "heal": "healing broken locators",
    "report": "writing the report",
}


def summary_table(summary: dict[str, Any]) -> Table:
    """The end-of-run table users and CI logs see."""
    t = summary["tests"]
    table = Table(title=f"qaforge · {summary.get('app') or summary['target']}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows: list[tuple[str, object]] = [
        ("tests generated", t["generated"]),
        ("passed", t["passed"]),
        ("failed", t["failed"]),
        ("healed", t["healed"]),
        ("quarantined (flaky)", t["quarantined"]),
        ("app defects", t["app_defects"]),
        ("pass rate", f"{summary['pass_rate']:.0%}"),
        ("templates covered", f"{summary['coverage']['templates']:.0%}"),
        ("transitions covered", f"{summary['coverage']['transitions']:.0%}"),
        ("forms covered", f"{summary['coverage']['forms']:.0%}"),
        ("findings", len(summary["findings"])),
        ("time (s)", f"{summary['durations']['total']:.1f}"),
    ]
    strategy = summary.get("strategy")
    if strategy:
        rows.append(("strategy", f"{strategy['name']} ({strategy['chosen_by']})"))
    for name, value in rows:
        table.add_row(name, str(value))
    return table


def _drive(
    req: RunRequest, settings: Settings, show: bool, bus: str | None, catalog: str | None
) -> RunOutcome:
    from qaforge.agents.catalog import CatalogError
    from qaforge.agents.orchestration import RunCancelled
    from qaforge.bus import BusError
    from qaforge.orchestrate.graph import PipelineError, run_graph
    from qaforge.store.migrate import SchemaError

    status = console.status("starting", spinner="dots") if show else None

    def on_stage(name: str) -> None:
        if status is not None:
            status.update(f"[cyan]{STAGE_LABEL.get(name, name)}[/]")

    async def go() -> RunOutcome:
        return await run_graph(req, settings, on_stage, bus_url=bus, catalog=catalog)

    try:
        if status is not None:
            with status:
                return asyncio.run(go())
        return asyncio.run(go())
    except (PipelineError, RunCancelled, BusError, CatalogError, SchemaError) as exc:
        fail(str(exc))


def _finish(outcome: RunOutcome, json_out: bool) -> None:
    s = outcome.summary
    if json_out:
        print_json(s)
    else:
        console.print(summary_table(s))
        for f in s["findings"]:
            console.print(f"[yellow]finding[/] {f['kind']} at {f['where']}: {f['detail']}")
        console.print(f"report: [bold]{s['artifacts']['report_html']}[/]")
    raise typer.Exit(outcome.exit_code)


def run(
    url: str = typer.Argument(..., help="the app's start URL"),
    out: Path = typer.Option(Path("qaforge-out"), "--out", help="run directory"),
    strategy: str = typer.Option(
        "auto", "--strategy", help="generation strategy, or auto (the learning loop picks)"
    ),
    no_learning: bool = typer.Option(
        False, "--no-learning", help="use the default strategy; record nothing"
    ),
    bus: str | None = typer.Option(
        None, "--bus", help="redis://HOST:PORT/DB: dispatch to `qaforge worker` processes"
    ),
    catalog: str | None = typer.Option(None, "--catalog", hidden=True),
    lang: str = typer.Option("python", "--lang", help="python or ts"),
    max_tests: int | None = typer.Option(None, "--max-tests", min=1),
    accessibility: bool = typer.Option(False, "--accessibility", help="axe-core per template"),
    runs: int = typer.Option(2, "--runs", min=1, max=5, help="runs of the suite (flake check)"),
    workers: int = typer.Option(2, "--workers", min=1, max=8),
    no_heal: bool = typer.Option(False, "--no-heal"),
    no_pdf: bool = typer.Option(False, "--no-pdf"),
    json_out: bool = typer.Option(False, "--json"),
    config: Path | None = typer.Option(None, "--config"),
    **kwargs: Any,
) -> None:
    """Crawl URL, write scenarios and tests, run and heal them, and report."""
    opts = CrawlOptions(**kwargs)
    if lang not in {"python", "ts"}:
        fail(f"--lang must be python or ts, not {lang!r}")
    settings = settings_or_exit(config)
    if no_learning:
        settings = settings.model_copy(update={"disable_learning": True})
    if strategy != "auto":
        from qaforge.generate.strategy import StrategyRegistry

        try:
            StrategyRegistry().get(strategy)
        except KeyError as exc:
            fail(str(exc.args[0]))
    observe = build_request(url, opts, out)
    app_name = opts.app or _app_identity(url)
    observe.target.app = app_name
    req = RunRequest(
        observe=observe,
        out_dir=str(out),
        app=app_name,
        strategy=strategy,
        language=lang,
        max_tests=max_tests,
        accessibility=accessibility,
        runs=runs,
        workers=workers,
        heal=not no_heal,
        pdf=not no_pdf,
    )
    _finish(_drive(req, settings, not json_out, bus, catalog), json_out)


def test(
    tests_dir: Path = typer.Argument(..., help="a suite written by qaforge"),
    base_url: str | None = typer.Option(None, "--base-url", help="default: the crawled URL"),
    out: Path | None = typer.Option(None, "--out", help="run directory (default TESTS_DIR/..)"),
    runs: int = typer.Option(2, "--runs", min=1, max=5),
    workers: int = typer.Option(2, "--workers", min=1, max=8),
    no_heal: bool = typer.Option(False, "--no-heal"),
    no_pdf: bool = typer.Option(False, "--no-pdf"),
    bus: str | None = typer.Option(None, "--bus", help="redis://...: run on workers"),
    catalog: str | None = typer.Option(None, "--catalog", hidden=True),
    json_out: bool = typer.Option(False, "--json"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Run an existing generated suite: reruns, classification, healing and the same reports."""
    from qaforge.agents.tasks import ObserveRequest
    from qaforge.models import AppModel, Target

    if not (tests_dir / "suite.json").exists():
        fail(f"{tests_dir} has no suite.json: point at the tests directory qaforge wrote")
    settings = settings_or_exit(config)
    model = AppModel.load(tests_dir / "model.json")
    from qaforge.orchestrate.graph import base_url_of

    target_url = base_url or base_url_of(model.target.url)
    req = RunRequest(
        observe=ObserveRequest(target=Target(url=target_url), out_dir=str(out or tests_dir.parent)),
        out_dir=str(out or tests_dir.parent),
        app=model.target.app or _app_identity(model.target.url),
        runs=runs,
        workers=workers,
        heal=not no_heal,
        pdf=not no_pdf,
        existing_suite=str(tests_dir),
        base_url=target_url,
    )
    _finish(_drive(req, settings, not json_out, bus, catalog), json_out)


def _app_identity(url: str) -> str:
    """origin + path prefix when no --app is given (DESIGN.md §7)."""
    from urllib.parse import urlsplit

    p = urlsplit(url)
    prefix = p.path.rstrip("/").split("/")[1] if p.path.strip("/") else ""
    return f"{p.scheme}://{p.netloc}" + (f"/{prefix}" if prefix else "")


def register(app: typer.Typer) -> None:
    """Attach `run` and `test`."""
    app.command("run")(_with_crawl_options(run))
    app.command("test")(test)
