"""`qaforge crawl URL`: explore an app into `model.json`. Its options are reused by `run`."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from qaforge.commands.common import (
    EXIT_USAGE,
    CrawlProgress,
    StageProgress,
    console,
    fail,
    plain_progress,
    print_json,
    settings_or_exit,
)
from qaforge.config import ConfigError, Settings
from qaforge.contracts.tasks import CrawlLimits, ObserveRequest
from qaforge.models import AppModel, Auth, CrawlStats, Target

PASSWORD_ENV = "QAFORGE_PASSWORD"
USERNAME_ENV = "QAFORGE_USERNAME"


@dataclass
class CrawlOptions:
    """The crawl and auth flags shared by `crawl` and `run`."""

    login_url: str | None = None
    username: str | None = None
    password: str | None = None
    http_credentials: str | None = None
    auth_state: Path | None = None
    include: list[str] | None = None
    exclude: list[str] | None = None
    max_states: int | None = None
    max_depth: int = 6
    max_actions: int = 400
    time_budget: float = 300.0
    contexts: int | None = None  # None: QAFORGE_BROWSER_CONTEXTS
    delay_ms: int | None = None  # None: QAFORGE_ACTION_DELAY_MS
    allow_destructive: bool = False
    deny_label: list[str] | None = None
    app: str | None = None
    seed: int = 0
    http_pages: int = 400


def build_request(
    url: str, opts: CrawlOptions, out_dir: Path, settings: Settings
) -> ObserveRequest:
    """An `ObserveRequest` whose credentials are references to environment variables only."""
    if not url.startswith(("http://", "https://")):
        fail(f"{url!r} is not an http(s) URL")
    # A password given on the command line moves into this process's environment, so that
    # the model, checkpoints and messages only ever hold the reference `env:QAFORGE_PASSWORD`.
    if opts.password is not None:
        os.environ[PASSWORD_ENV] = opts.password
    if opts.username is not None:
        os.environ[USERNAME_ENV] = opts.username
    if opts.http_credentials is not None:
        if ":" not in opts.http_credentials:
            fail("--http-credentials must look like USER:PASS")
        os.environ["QAFORGE_HTTP_CREDENTIALS"] = opts.http_credentials
    if opts.auth_state is not None and not opts.auth_state.is_file():
        fail(f"--auth-state {opts.auth_state} does not exist")
    if opts.login_url and not (os.environ.get(USERNAME_ENV) and os.environ.get(PASSWORD_ENV)):
        fail("--login-url needs --username/--password or QAFORGE_USERNAME/QAFORGE_PASSWORD")
    auth = Auth(
        login_url=opts.login_url,
        username_ref=f"env:{USERNAME_ENV}" if os.environ.get(USERNAME_ENV) else None,
        password_ref=f"env:{PASSWORD_ENV}" if os.environ.get(PASSWORD_ENV) else None,
        http_credentials_ref="env:QAFORGE_HTTP_CREDENTIALS" if opts.http_credentials else None,
        auth_state_path=str(opts.auth_state) if opts.auth_state else None,
    )
    if auth.kind == "basic" and not opts.http_credentials:
        # Username/password without a login URL are not HTTP credentials unless asked for.
        auth = auth.model_copy(update={"username_ref": None, "password_ref": None})
    target = Target(
        url=url,
        app=opts.app,
        include=opts.include or [],
        exclude=opts.exclude or [],
        auth=auth,
    )
    limits = CrawlLimits(
        max_states=opts.max_states,
        max_depth=opts.max_depth,
        max_actions=opts.max_actions,
        time_budget_s=opts.time_budget,
        contexts=opts.contexts or settings.browser_contexts,
        action_delay_ms=settings.action_delay_ms if opts.delay_ms is None else opts.delay_ms,
        allow_destructive=opts.allow_destructive,
        deny_labels=opts.deny_label or [],
        seed=opts.seed,
        http_pages=opts.http_pages,
    )
    return ObserveRequest(target=target, limits=limits, out_dir=str(out_dir))


def _positive(value: float) -> float:
    if value <= 0:
        raise typer.BadParameter(f"must be greater than 0, not {value:g}")
    return value


def crawl_options(
    login_url: str | None = typer.Option(None, "--login-url", help="login page (form login)"),
    username: str | None = typer.Option(None, "--username", help="or QAFORGE_USERNAME"),
    password: str | None = typer.Option(None, "--password", help="or QAFORGE_PASSWORD"),
    http_credentials: str | None = typer.Option(
        None, "--http-credentials", help="USER:PASS for HTTP basic auth"
    ),
    auth_state: Path | None = typer.Option(None, "--auth-state", help="Playwright storage state"),
    include: list[str] | None = typer.Option(
        None, "--include", metavar="REGEX", help="URL regex to stay within (repeatable)"
    ),
    exclude: list[str] | None = typer.Option(
        None, "--exclude", metavar="REGEX", help="URL regex to avoid (repeatable)"
    ),
    max_states: int | None = typer.Option(
        None,
        "--max-states",
        min=1,
        help="most states to keep (default: one per 2 s of --time-budget, at least 60)",
    ),
    max_depth: int = typer.Option(6, "--max-depth", min=0),
    max_actions: int = typer.Option(400, "--max-actions", min=1),
    time_budget: float = typer.Option(
        300.0, "--time-budget", callback=_positive, help="seconds (> 0)"
    ),
    contexts: int | None = typer.Option(
        None,
        "--contexts",
        min=1,
        max=8,
        help="parallel browser contexts (default: QAFORGE_BROWSER_CONTEXTS, 2)",
    ),
    delay_ms: int | None = typer.Option(
        None,
        "--delay-ms",
        min=0,
        help="pause between actions (default: QAFORGE_ACTION_DELAY_MS, 0)",
    ),
    allow_destructive: bool = typer.Option(False, "--allow-destructive"),
    deny_label: list[str] | None = typer.Option(
        None, "--deny-label", metavar="LABEL", help="extra label to avoid (repeatable)"
    ),
    app: str | None = typer.Option(None, "--app", help="app name for history and learning"),
    http_pages: int = typer.Option(
        400,
        "--http-pages",
        min=0,
        help="pages the HTTP walk may fetch before the browser explores (0: no walk, no page "
        "checks)",
    ),
) -> CrawlOptions:
    """Typer dependency-style constructor (called with the command's own parameters)."""
    return CrawlOptions(
        login_url,
        username,
        password,
        http_credentials,
        auth_state,
        include,
        exclude,
        max_states,
        max_depth,
        max_actions,
        time_budget,
        contexts,
        delay_ms,
        allow_destructive,
        deny_label,
        app,
        http_pages=http_pages,
    )


def summary_table(model: AppModel) -> Table:
    """The end-of-crawl summary: figures and what the app got wrong."""
    s = model.crawl_stats
    table = Table(title=f"Crawl of {model.target.url}", show_header=True)
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in (
        ("states", s.states),
        ("templates", s.templates),
        ("transitions", s.transitions),
        ("kept transitions", sum(t.kept for t in model.transitions)),
        ("forms", s.forms),
        ("actions", s.actions),
        ("findings", len(model.findings)),
        ("pages fetched by HTTP", f"{s.http_pages} ({s.http_templates} templates)"),
        ("browser restarts", s.browser_restarts),
        ("time (s)", f"{s.duration_s:.1f}"),
        ("stopped by", s.stopped_by),
    ):
        table.add_row(name, str(value))
    return table


def progress_line(stats: CrawlStats) -> str:
    return (
        f"[cyan]crawling[/] states {stats.states}  templates {stats.templates}  "
        f"transitions {stats.transitions}  actions {stats.actions}  HTTP pages {stats.http_pages}"
    )


def check_browser(settings: Settings) -> None:
    """Fail (exit 2) before crawling when the configured Chromium does not exist."""
    try:
        settings.launch_options()
    except ConfigError as exc:
        fail(
            f"cannot start the browser: {exc} — point QAFORGE_CHROMIUM at a Chromium "
            "executable, or unset it to use the system's or Playwright's own"
        )


async def observe_with_progress(req: ObserveRequest, show: bool, config: Path | None) -> AppModel:
    """Run the Observation agent with progress on stderr: a Live line on a terminal, one
    line per stage and at most one figures line every 10 s in CI (`plain_progress`)."""
    from qaforge.agents.base import AgentError
    from qaforge.agents.observation import ObservationAgent

    settings = settings_or_exit(config)
    check_browser(settings)
    plain_mode = plain_progress()
    live = (
        Live(console=console, transient=True, refresh_per_second=4)
        if show and not plain_mode
        else None
    )
    ticker = CrawlProgress(req.limits.time_budget_s) if plain_mode else None

    def on_progress(stats: CrawlStats) -> None:
        if live is not None:
            live.update(progress_line(stats))
        elif ticker is not None:
            ticker(stats)

    agent = ObservationAgent(settings)
    stages = StageProgress(STAGE_LABELS, show=False, plain_mode=plain_mode)
    try:
        with stages:
            stages.stage("observe")
            if live is not None:
                with live:
                    return await agent.observe(req, on_progress)
            return await agent.observe(req, on_progress)
    except AgentError as exc:
        fail(str(exc))


STAGE_LABELS = {"observe": "exploring the app"}


def empty_crawl_message(model: AppModel, path: Path | None) -> str:
    """Why a crawl that found no state is an error, and where its model is."""
    s = model.crawl_stats
    why = s.stopped_by or "nothing to explore"
    if "launch" in why.lower() or "executable" in why.lower():
        why += " — check QAFORGE_CHROMIUM or run `playwright install chromium`"
    where = f"; the (empty) model is in {path}" if path is not None else ""
    return f"the crawl of {model.target.url} found no states (stopped by: {why}){where}"


def crawl(
    url: str = typer.Argument(..., help="the app's start URL"),
    out: Path = typer.Option(Path("qaforge-out"), "--out", help="directory for model.json"),
    json_out: bool = typer.Option(False, "--json", help="print the crawl summary as JSON"),
    config: Path | None = typer.Option(None, "--config", help="qaforge.toml to read"),
    **kwargs: Any,
) -> None:
    """Explore URL in a real browser and write DIR/model.json."""
    opts = CrawlOptions(**kwargs)
    req = build_request(url, opts, out, settings_or_exit(config))
    model = asyncio.run(observe_with_progress(req, show=not json_out, config=config))
    path = out / "model.json"
    model.save(path)
    if model.crawl_stats.states == 0:
        fail(empty_crawl_message(model, path))
    if json_out:
        print_json(
            {
                "model": str(path),
                "crawl": model.crawl_stats.model_dump(),
                "findings": [f.model_dump() for f in model.findings],
            }
        )
    else:
        console.print(summary_table(model))
        for f in model.findings:
            console.print(
                f"[yellow]finding[/] {escape(f.kind)}: {escape(f.detail)} (on {escape(f.where)})"
            )
        console.print(f"model written to [bold]{escape(str(path))}[/]")


def _with_crawl_options(fn: Any) -> Any:
    """Give `fn` the crawl options as keyword parameters (shared by `crawl` and `run`).

    Both modules use `from __future__ import annotations`, so every annotation is a string;
    typer resolves them with `typing.get_type_hints(fn)`, which only sees `fn`'s own. The
    copied parameters get their resolved types both in `__signature__` and in
    `__annotations__`, or typer would take `list[str] | None` for a plain string and drop
    the `min`/`max` bounds."""
    import inspect
    import typing

    if getattr(fn, "_crawl_options_added", False):  # registered again (qaforge ci's inner app)
        return fn
    own_hints = typing.get_type_hints(fn)
    option_hints = typing.get_type_hints(crawl_options)
    sig = inspect.signature(fn)
    own = [
        p.replace(annotation=own_hints.get(p.name, p.annotation))
        for p in sig.parameters.values()
        if p.kind != inspect.Parameter.VAR_KEYWORD
    ]
    extra = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=option_hints[p.name])
        for p in inspect.signature(crawl_options).parameters.values()
    ]
    fn.__signature__ = sig.replace(parameters=[*own, *extra])
    annotations = {p.name: p.annotation for p in [*own, *extra]}
    if "return" in own_hints:
        annotations["return"] = own_hints["return"]
    fn.__annotations__ = annotations
    fn._crawl_options_added = True
    return fn


def register(app: typer.Typer) -> None:
    """Attach `crawl`."""
    app.command("crawl")(_with_crawl_options(crawl))


__all__ = ["EXIT_USAGE", "CrawlOptions", "build_request", "crawl_options", "register"]
