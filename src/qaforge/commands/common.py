"""What every command shares: the console, exit codes, settings, clear error messages and
progress lines (a Rich status on a terminal, one plain line per step in CI)."""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from qaforge.config import ConfigError, Settings, load_settings
from qaforge.errors import UserError, mask_url
from qaforge.logs import log_to_file

if TYPE_CHECKING:
    from qaforge.contracts.events import EventHub
    from qaforge.models import AppModel, CrawlStats

# architecture.md §6: 0 all kept tests passed, 1 a test failed or an app defect was found,
# 2 usage or environment error, 3 internal error (a bug in qaforge).
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130

console = Console(stderr=True)
stdout = Console()

# The services this invocation talks to, so an error from deep inside a driver can name them.
_ENDPOINTS: dict[str, str] = {}


def error_line(message: str) -> str:
    """`message` as one line with any password in a URL masked."""
    flat = " ".join(part.strip() for part in str(message).splitlines() if part.strip())
    return mask_url(flat)


def print_error(message: str, prefix: str = "error") -> None:
    """One line on stderr: `error: MESSAGE` (no markup is interpreted in MESSAGE)."""
    # soft_wrap: one error is one line, whatever the terminal width (logs, CI, grep).
    console.print(
        f"[bold red]{prefix}:[/] {escape(error_line(message))}", highlight=False, soft_wrap=True
    )


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print a one-line error (no traceback) and exit."""
    print_error(message)
    raise typer.Exit(code)


def note_endpoint(kind: str, url: str | None) -> None:
    """Remember the database or bus URL in use (`kind` "database" or "bus") for error lines."""
    if url:
        _ENDPOINTS[kind] = url


def settings_or_exit(config: Path | None = None, **overrides: Any) -> Settings:
    """Load settings, turning a malformed configuration into a clear error."""
    try:
        settings = load_settings(config, **overrides)
    except ConfigError as exc:
        fail(str(exc))
    # Tracebacks of what qaforge logs go to the home the command runs with.
    log_to_file(settings.home / "logs" / "qaforge.log")
    note_endpoint("database", settings.database_url)
    _ENDPOINTS.setdefault("bus", settings.bus_url)
    return settings


def print_json(data: Any) -> None:
    """Machine output on stdout, nothing else there."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


def choice(value: str, allowed: list[str], option: str) -> str:
    """`value` when it is one of `allowed`, else exit 2 naming the choices."""
    if value not in allowed:
        fail(f"{option} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def load_model_or_exit(path: Path) -> AppModel:
    """The model at `path`; a missing, unreadable or malformed file is exit 2, one line."""
    from qaforge.models import AppModel

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, found {type(data).__name__}")
        return AppModel.load(path)
    except FileNotFoundError:
        fail(f"{path} does not exist")
    except (ValueError, OSError, TypeError, KeyError, AttributeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        fail(f"{path} is not a qaforge model: {first}")


ConfigOption = typer.Option(None, "--config", help="qaforge.toml to read", exists=False)
JsonOption = typer.Option(False, "--json", help="print a JSON result on stdout")

# ---------------------------------------------------------------------- errors at the front door


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        cur = cur.__cause__ or cur.__context__


def _is(exc: BaseException, module: str, name: str) -> bool:
    """Whether `exc` is an instance of `module.name`, without importing `module`."""
    cls = getattr(sys.modules.get(module), name, None)
    return isinstance(cls, type) and isinstance(exc, cls)


def _reason(exc: BaseException) -> str:
    """A short, lower-case reason for a connection failure."""
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split())
    low = text.lower()
    for needle, short in (
        ("connection refused", "connection refused"),
        ("connect call failed", "connection refused"),
        ("timed out", "timed out"),
        ("timeout", "timed out"),
        ("name or service not known", "unknown host"),
        ("could not translate host name", "unknown host"),
        ("nodename nor servname", "unknown host"),
        ("temporary failure in name resolution", "unknown host"),
        ("password authentication failed", "authentication failed"),
        ("authentication required", "authentication failed"),
        ("invalid password", "authentication failed"),
        ("does not exist", text),
    ):
        if needle in low:
            return short[:300]
    return text[:300] or type(orig).__name__


_UNREACHABLE = {"connection refused", "timed out", "unknown host", "authentication failed"}


def _endpoint(kind: str) -> str:
    if kind in _ENDPOINTS:
        return _ENDPOINTS[kind]
    try:
        settings = load_settings()
    except Exception:
        return ""
    return str((settings.database_url if kind == "database" else settings.bus_url) or "")


def _browser_path() -> str:
    env = os.environ.get("QAFORGE_CHROMIUM")
    if env:
        return env
    try:
        return load_settings().chromium_path() or "Playwright's bundled Chromium"
    except Exception:
        return "the configured Chromium"


def environment_error(exc: BaseException) -> str | None:
    """The one-line message for a database, bus or browser that cannot be used, else None."""
    for e in _chain(exc):
        if (
            _is(e, "sqlalchemy.exc", "OperationalError")
            or _is(e, "psycopg", "OperationalError")
            or _is(e, "sqlite3", "OperationalError")
        ):
            url = mask_url(_endpoint("database") or "(QAFORGE_DATABASE_URL)")
            reason = _reason(e)
            if reason in _UNREACHABLE or "unable to open" in reason or "connection" in reason:
                return (
                    f"cannot reach the database {url}: {reason} — check "
                    "QAFORGE_DATABASE_URL and that the server is running"
                )
            return (
                f"the database {url} failed: {reason} — check QAFORGE_DATABASE_URL "
                "(`qaforge db upgrade` migrates it)"
            )
        if _is(e, "redis.exceptions", "ConnectionError") or _is(
            e, "redis.exceptions", "TimeoutError"
        ):
            url = _endpoint("bus") or "(QAFORGE_BUS_URL)"
            return (
                f"cannot reach the bus {mask_url(url)}: {_reason(e)} — check --bus or "
                "QAFORGE_BUS_URL and that Redis is running"
            )
        if type(e).__module__.startswith("playwright") and ".launch" in str(e).split("\n")[0]:
            first = " ".join(str(e).split("\n")[0].split())
            return (
                f"cannot start the browser {_browser_path()}: {first[:300]} — check "
                "QAFORGE_CHROMIUM (a Chromium executable) or run `playwright install chromium`"
            )
    return None


def user_message(exc: BaseException) -> str | None:
    """What to tell the user for an error they can act on (exit 2), else None (a bug)."""
    if isinstance(exc, UserError):
        return str(exc) or type(exc).__name__
    return environment_error(exc)


def home_dir() -> Path:
    """`$QAFORGE_HOME` (from settings when they load, else from the environment)."""
    try:
        return load_settings().home
    except Exception:
        env = os.environ.get("QAFORGE_HOME")
        return Path(env).expanduser() if env else Path.home() / ".qaforge"


def write_crash_log(exc: BaseException, argv: list[str] | None = None) -> Path:
    """Write the traceback of an internal error under `$QAFORGE_HOME/logs/`; its path."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    text = (
        f"qaforge {' '.join(argv if argv is not None else sys.argv[1:])}\n"
        f"at {datetime.now().isoformat()}, pid {os.getpid()}\n\n"
        + "".join(traceback.format_exception(exc))
    )
    text = mask_url(text)
    for base in (home_dir() / "logs", Path(os.environ.get("TMPDIR", "/tmp")) / "qaforge-logs"):
        try:
            base.mkdir(parents=True, exist_ok=True)
            path = base / f"qaforge-{stamp}.log"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return Path("(no writable log directory)")


# ---------------------------------------------------------------------- progress


def plain_progress() -> bool:
    """CI or a non-terminal stderr: plain lines instead of spinners and live displays."""
    return bool(os.environ.get("CI")) or not sys.stderr.isatty()


def plain(line: str) -> None:
    """One `[qaforge] ...` progress line on stderr."""
    sys.stderr.write(f"[qaforge] {line}\n")
    sys.stderr.flush()


class StageProgress:
    """Where a run is: a Rich status on a terminal, one line per stage start and end in CI.

    `stage(name)` hears each StageStarted event; `close()` ends the last stage."""

    def __init__(self, labels: dict[str, str], *, show: bool, plain_mode: bool | None = None):
        self.labels = labels
        self.plain = plain_progress() if plain_mode is None else plain_mode
        self.show = show
        self.current: str | None = None
        self.started = 0.0
        self.seen_stage = False
        self._status = (
            console.status("starting", spinner="dots") if show and not self.plain else None
        )

    def __enter__(self) -> StageProgress:
        if self._status is not None:
            self._status.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.__exit__(None, None, None)
        self.close(ok=exc[0] is None)

    def stage(self, name: str) -> None:
        self.seen_stage = True
        label = self.labels.get(name, name)
        if self.plain:
            self._end()
            plain(f"stage {name}: {label}")
        elif self._status is not None:
            self._status.update(f"[cyan]{escape(label)}[/]")
        self.current, self.started = name, time.monotonic()

    def update(self, text: str) -> None:
        """Show `text` (crawl figures, say) in the terminal's status line."""
        if self._status is not None:
            self._status.update(f"[cyan]{escape(text)}[/]")

    def _end(self, ok: bool = True) -> None:
        if self.current is not None and self.plain:
            took = time.monotonic() - self.started
            plain(f"stage {self.current} {'done' if ok else 'stopped'} in {took:.1f}s")
        self.current = None

    def close(self, ok: bool = True) -> None:
        self._end(ok)

    def follow(self, events: EventHub, crawl_budget_s: float | None = None) -> None:
        """Show what `events` says: stages always; crawl figures and test passes when shown."""
        from qaforge.contracts.events import CrawlProgressed, StageStarted, TestsPassFinished

        events.subscribe(lambda e: self.stage(e.stage), StageStarted)
        if not self.show:
            return
        if crawl_budget_s is not None:
            crawl = CrawlProgress(crawl_budget_s)

            def on_crawl(e: CrawlProgressed) -> None:
                if self.plain:
                    crawl(e.stats)
                else:
                    self.update(crawl.line(e.stats))

            events.subscribe(on_crawl, CrawlProgressed)

        def on_pass(e: TestsPassFinished) -> None:
            text = (
                f"tests: pass {e.index + 1} ran {e.ran}: {e.passed} passed, {e.failed} failed"
                + (f", {e.skipped} skipped" if e.skipped else "")
            )
            if self.plain:
                plain(text)
            else:
                self.update(text)

        events.subscribe(on_pass, TestsPassFinished)


class CrawlProgress:
    """Crawl figures: a Live line on a terminal; in CI at most one plain line every `every` s."""

    def __init__(
        self, budget_s: float, *, every: float = 10.0, clock: Callable[[], float] = time.monotonic
    ):
        self.budget_s = budget_s
        self.every = every
        self.clock = clock
        self.started = clock()
        self.last = self.started

    def line(self, stats: CrawlStats) -> str:
        elapsed = self.clock() - self.started
        queue = getattr(stats, "queued", None)  # frontier length, when the crawler reports it
        queued = f", {queue} queued" if isinstance(queue, int) else ""
        return (
            f"crawl: {stats.states} states, {stats.templates} templates, "
            f"{stats.transitions} transitions, {stats.actions} actions{queued} — "
            f"{elapsed:.0f}s of {self.budget_s:.0f}s"
        )

    def __call__(self, stats: CrawlStats) -> None:
        now = self.clock()
        if now - self.last >= self.every:
            self.last = now
            plain(self.line(stats))


def status_context(show: bool, text: str) -> AbstractContextManager[Any]:
    """A Rich status on a terminal (when `show`), nothing in plain mode."""
    if show and not plain_progress():
        return console.status(text, spinner="dots")
    return nullcontext()
