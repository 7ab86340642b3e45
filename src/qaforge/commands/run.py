"""`qaforge run URL` (the whole pipeline) and `qaforge test DIR` (an existing suite)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from qaforge.commands.common import (
    EXIT_USAGE,
    StageProgress,
    choice,
    console,
    fail,
    load_model_or_exit,
    note_endpoint,
    plain,
    print_error,
    print_json,
    settings_or_exit,
    user_message,
)
from qaforge.commands.crawl import CrawlOptions, _with_crawl_options, build_request, check_browser
from qaforge.config import Settings
from qaforge.contracts.summary import RunSummary, percent
from qaforge.orchestrate.request import RunOutcome, RunRequest

LANGUAGES = ["python", "ts"]

STAGE_LABEL = {
    "adopt": "reading the suite",
    "observe": "exploring the app",
    "require": "writing scenarios",
    "analyze": "ranking by risk",
    "evolve": "writing tests",
    "execute": "running tests (a rerun catches flaky ones)",
    "heal": "healing broken locators",
    "report": "writing the report",
}


def summary_table(summary: RunSummary) -> Table:
    """The end-of-run table users and CI logs see."""
    t = summary.tests
    table = Table(title=f"qaforge · {summary.app or summary.target}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows: list[tuple[str, object]] = [
        ("tests generated", t.generated),
        ("passed", t.passed),
        ("failed", t.failed),
        ("healed", t.healed),
        ("quarantined (flaky)", t.quarantined),
        ("app defects", t.app_defects),
        ("pass rate", percent(summary.pass_rate)),
        ("templates covered", percent(summary.coverage.templates)),
        ("transitions covered", percent(summary.coverage.transitions)),
        ("forms covered", percent(summary.coverage.forms)),
        ("findings", len(summary.findings)),
        ("time (s)", f"{summary.durations.total:.1f}"),
    ]
    if summary.strategy.name:
        rows.append(("strategy", summary.strategy.label()))
    for name, value in rows:
        table.add_row(name, str(value))
    return table


def _drive(
    req: RunRequest,
    settings: Settings,
    show: bool,
    bus: str | None,
    catalog: str | None,
    created_out: Path | None = None,
) -> RunOutcome:
    """Run the graph with progress on stderr. A failed run names its id and how to resume it;
    a run directory this command created and nothing was written to is removed again."""
    from qaforge.contracts.envelope import new_id
    from qaforge.contracts.events import EventHub
    from qaforge.orchestrate.orchestrator import run_graph

    if not req.run_id:
        req = req.model_copy(update={"run_id": new_id("run-")})
    if bus:
        note_endpoint("bus", bus)
    stages = StageProgress(STAGE_LABEL, show=show)
    if stages.plain:
        plain(f"run {req.run_id} starting")

    events = EventHub()
    stages.follow(events, req.observe.limits.time_budget_s)

    async def go() -> RunOutcome:
        return await run_graph(req, settings, bus_url=bus, catalog=catalog, events=events)

    try:
        with stages:
            return asyncio.run(go())
    except typer.Exit:
        raise
    except BaseException as exc:
        if created_out is not None:
            _remove_if_empty(created_out)
        message = user_message(exc) if isinstance(exc, Exception) else None
        if message is not None:
            print_error(message)
        if stages.seen_stage:
            # The run exists (a stage started) and is FAILED or CANCELLED: it can go on later.
            how = (
                "was interrupted"
                if isinstance(exc, KeyboardInterrupt)
                else "was cancelled"
                if type(exc).__name__ == "RunCancelled"
                else "failed"
            )
            console.print(
                f"run {req.run_id} {how}; resume with: qaforge resume {req.run_id}",
                highlight=False,
                soft_wrap=True,
                markup=False,
            )
        if message is not None:
            raise typer.Exit(EXIT_USAGE) from None
        raise


def _remove_if_empty(path: Path) -> None:
    """Remove `path` when it holds no file (only empty directories, or nothing)."""
    import shutil

    if path.is_dir() and not any(p.is_file() or p.is_symlink() for p in path.rglob("*")):
        shutil.rmtree(path, ignore_errors=True)


def _finish(outcome: RunOutcome, json_out: bool) -> None:
    s = outcome.summary
    if json_out:
        print_json(s.model_dump(mode="json"))
    else:
        console.print(summary_table(s))
        for f in s.findings:
            console.print(
                f"[yellow]finding[/] {escape(f.kind)} at {escape(f.where)}: {escape(f.detail)}",
                highlight=False,
            )
        console.print(f"report: [bold]{escape(s.artifacts.report_html)}[/]")
        console.print(f"run id: {escape(outcome.run_id)}", highlight=False)
    raise typer.Exit(outcome.exit_code)


def _check_strategy(strategy: str) -> None:
    """`--strategy` is `auto` or a strategy qaforge knows (exit 2 naming them otherwise)."""
    if strategy == "auto":
        return
    from qaforge.generate.strategy import StrategyRegistry

    registry = StrategyRegistry()
    if strategy not in registry.names():
        fail(f"unknown strategy {strategy!r}; known: auto, {', '.join(registry.names())}")


def _in_process(bus: str | None, settings: Settings) -> bool:
    return (bus or settings.bus_url).startswith("memory:")


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
    standalone: bool = typer.Option(
        False,
        "--standalone",
        help="a Python suite that needs only pytest-playwright (its fixtures in its "
        "conftest.py, not from qaforge's pytest plugin)",
    ),
    max_tests: int | None = typer.Option(None, "--max-tests", min=1),
    accessibility: bool = typer.Option(False, "--accessibility", help="axe-core per template"),
    goal: list[str] = typer.Option(
        [],
        "--goal",
        help="what a user must be able to do ('a visitor buys a lamp with a coupon'); "
        "repeatable; needs a language model (QAFORGE_LLM_URL)",
    ),
    stories: Path | None = typer.Option(
        None,
        "--stories",
        help="a Markdown file of user stories: each list item or 'As a ...' line is a goal",
    ),
    llm_budget: int | None = typer.Option(
        None,
        "--llm-budget",
        min=1,
        help="tokens the language model may spend in this run; then it goes on without",
    ),
    triage: bool = typer.Option(
        False,
        "--triage",
        help="explain each failed test in the report with the language model (advice only)",
    ),
    readable: bool = typer.Option(
        False,
        "--readable",
        help="reword the scenarios' Given/When/Then with the language model (steps unchanged)",
    ),
    runs: int = typer.Option(
        2,
        "--runs",
        min=1,
        max=5,
        help="passes of the suite: the first runs all, later ones what can differ (flakes)",
    ),
    workers: int | None = typer.Option(
        None, "--workers", min=1, max=8, help="pytest workers (default: QAFORGE_TEST_WORKERS, 2)"
    ),
    no_heal: bool = typer.Option(False, "--no-heal"),
    no_pdf: bool = typer.Option(False, "--no-pdf"),
    json_out: bool = typer.Option(False, "--json"),
    config: Path | None = typer.Option(None, "--config"),
    **kwargs: Any,
) -> None:
    """Crawl URL, write scenarios and tests, run and heal them, and report."""
    opts = CrawlOptions(**kwargs)
    choice(lang, LANGUAGES, "--lang")
    _check_strategy(strategy)
    settings = settings_or_exit(config)
    goals = _goals(goal, stories, settings)
    _needs_llm(triage, "--triage", settings)
    _needs_llm(readable, "--readable", settings)
    if no_learning:
        settings = settings.model_copy(update={"disable_learning": True})
    observe = build_request(url, opts, out, settings)
    if _in_process(bus, settings):
        check_browser(settings)
    app_name = opts.app or _app_identity(url)
    observe.target.app = app_name
    req = RunRequest(
        observe=observe,
        out_dir=str(out),
        app=app_name,
        strategy=strategy,
        language=lang,
        standalone=standalone,
        max_tests=max_tests,
        accessibility=accessibility,
        goals=goals,
        llm_budget=llm_budget,
        triage=triage,
        readable=readable,
        runs=runs,
        workers=workers or settings.test_workers,
        heal=not no_heal,
        pdf=not no_pdf,
    )
    created = None if out.exists() else out
    _finish(_drive(req, settings, not json_out, bus, catalog, created), json_out)


def _needs_llm(asked: bool, option: str, settings: Settings) -> None:
    """Refuse `option` before anything starts when no language model is configured."""
    from qaforge.llm.endpoint import LLMEndpoint, LLMNotConfigured

    if asked:
        try:
            LLMEndpoint.required(settings, option)
        except LLMNotConfigured as exc:
            fail(str(exc))


def _goals(goal: list[str], stories: Path | None, settings: Settings) -> list[str]:
    """The run's goals; refused before anything starts when no language model is set."""
    from qaforge.generate.goals import MAX_GOALS, goals_from_stories

    goals = [g.strip() for g in goal if g.strip()]
    if stories is not None:
        try:
            text = stories.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read --stories {stories}: {exc}")
        found = goals_from_stories(text)
        if not found:
            fail(f"--stories {stories} holds no user story (a list item or an 'As a ...' line)")
        goals += found
    if not goals:
        return []
    _needs_llm(True, "--goal and --stories", settings)
    if len(goals) > MAX_GOALS:
        fail(f"{len(goals)} goals: at most {MAX_GOALS} per run")
    return goals


def test(
    tests_dir: Path = typer.Argument(..., help="a suite written by qaforge"),
    base_url: str | None = typer.Option(None, "--base-url", help="default: the crawled URL"),
    out: Path | None = typer.Option(None, "--out", help="run directory (default TESTS_DIR/..)"),
    runs: int = typer.Option(
        2,
        "--runs",
        min=1,
        max=5,
        help="passes of the suite: the first runs all, later ones what can differ (flakes)",
    ),
    workers: int | None = typer.Option(
        None, "--workers", min=1, max=8, help="pytest workers (default: QAFORGE_TEST_WORKERS, 2)"
    ),
    no_heal: bool = typer.Option(False, "--no-heal"),
    no_pdf: bool = typer.Option(False, "--no-pdf"),
    bus: str | None = typer.Option(None, "--bus", help="redis://...: run on workers"),
    catalog: str | None = typer.Option(None, "--catalog", hidden=True),
    triage: bool = typer.Option(
        False,
        "--triage",
        help="explain each failed test in the report with the language model (advice only)",
    ),
    json_out: bool = typer.Option(False, "--json"),
    config: Path | None = typer.Option(None, "--config"),
) -> None:
    """Run an existing generated suite: reruns, classification, healing and the same reports."""
    from qaforge.contracts.tasks import ObserveRequest
    from qaforge.models import Target
    from qaforge.orchestrate.graph import base_url_of

    if not (tests_dir / "suite.json").exists():
        fail(f"{tests_dir} has no suite.json: point at the tests directory qaforge wrote")
    model_path = tests_dir / "model.json"
    if not model_path.is_file():
        fail(
            f"{tests_dir} has no model.json next to suite.json: copy the model.json of the "
            "crawl that wrote this suite there"
        )
    model = load_model_or_exit(model_path)
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        fail(f"--base-url {base_url!r} is not an http(s) URL")
    settings = settings_or_exit(config)
    _needs_llm(triage, "--triage", settings)
    if _in_process(bus, settings):
        check_browser(settings)
    target_url = base_url or base_url_of(model.target.url)
    req = RunRequest(
        observe=ObserveRequest(target=Target(url=target_url), out_dir=str(out or tests_dir.parent)),
        out_dir=str(out or tests_dir.parent),
        app=model.target.app or _app_identity(model.target.url),
        runs=runs,
        workers=workers or settings.test_workers,
        heal=not no_heal,
        pdf=not no_pdf,
        existing_suite=str(tests_dir),
        base_url=target_url,
        triage=triage,
    )
    run_dir = out or tests_dir.parent
    created = None if run_dir.exists() else run_dir
    _finish(_drive(req, settings, not json_out, bus, catalog, created), json_out)


def _app_identity(url: str) -> str:
    """origin + path prefix when no --app is given (architecture.md §6)."""
    from urllib.parse import urlsplit

    p = urlsplit(url)
    prefix = p.path.rstrip("/").split("/")[1] if p.path.strip("/") else ""
    return f"{p.scheme}://{p.netloc}" + (f"/{prefix}" if prefix else "")


def register(app: typer.Typer) -> None:
    """Attach `run` and `test`."""
    app.command("run")(_with_crawl_options(run))
    app.command("test")(test)
