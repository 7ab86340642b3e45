"""The gauntlet: the installed `qaforge run`, end to end, on the demo shop and every real app.

    .venv/bin/python benchmarks/realapps.py [--apps demo,datasette,...] [--budget 180]
        [--qaforge PATH] [--json-out FILE] [--allowance 300] [--work DIR] [--realapps-home DIR]

Each app is started (demo: the installation's own `qaforge demo-app`; the others:
../shared/realapps/realapp.py start, faults restored first), then
`qaforge run URL --out DIR --json --no-pdf --time-budget BUDGET` runs with its login (a form:
--login-url and QAFORGE_USERNAME/QAFORGE_PASSWORD; HTTP basic: --http-credentials), in a clean
environment and a fresh QAFORGE_HOME. Every app started is stopped, whatever happens.

`--qaforge` defaults to the wheel venv `make wheel-venv` installs (.venv/wheel/current: the
package as users get it), else the dev venv's. The table shows one row per app: what the crawl
found and why it stopped, the tests and their pass rate on the healthy app, the exit code, the
seconds per stage (summary.json's durations) and the wall time. The verdict flags a crawl that
stopped on an error, a run that generated no test, a wall time over budget + allowance (the
allowance is for generation, the two runs of the suite, healing and the report), and runs that
failed outright (exit 2, no summary, timeout, the app did not start).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
REALAPP = ROOT.parent / "shared" / "realapps" / "realapp.py"
WHEEL_QAFORGE = ROOT / ".venv" / "wheel" / "current" / "bin" / "qaforge"
DEV_QAFORGE = ROOT / ".venv" / "bin" / "qaforge"
DEMO_LOGIN = {"kind": "form", "url": "/login", "username": "demo", "password": "demo"}


class AppError(RuntimeError):
    """The app could not be started."""


def realapp(
    *args: str, env: dict[str, str], timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REALAPP), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )


def realapp_names(env: dict[str, str]) -> list[str]:
    out = realapp("list", env=env, timeout=60)
    return [json.loads(ln)["name"] for ln in out.stdout.splitlines() if ln.startswith("{")]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(qaforge: Path, home: Path) -> dict[str, str]:
    """The installation's bin first on PATH; nothing of another venv; a fresh QAFORGE_HOME."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
        and not k.startswith("PYTEST_")
        and (not k.startswith("QAFORGE_") or k == "QAFORGE_CHROMIUM")
    }
    env["PATH"] = str(qaforge.parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONNOUSERSITE"] = "1"
    env["QAFORGE_HOME"] = str(home)
    env["COLUMNS"] = "200"
    return env


class Started:
    """A running app: its URL and login, and how to stop it."""

    def __init__(self, name: str, url: str, login: dict[str, Any] | None) -> None:
        self.name, self.url, self.login = name, url, login
        self.proc: subprocess.Popen[bytes] | None = None


def start_demo(qaforge: Path, env: dict[str, str], log: Path) -> Started:
    port = free_port()
    app = Started("demo", f"http://127.0.0.1:{port}", DEMO_LOGIN)
    with log.open("wb") as out:
        app.proc = subprocess.Popen(
            [str(qaforge), "demo-app", "--port", str(port)],
            env=env,
            cwd=log.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.proc.poll() is not None:
            raise AppError(f"qaforge demo-app exited with {app.proc.returncode}; see {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return app
        except OSError:
            time.sleep(0.2)
    stop_app(app, env)
    raise AppError(f"qaforge demo-app did not listen on port {port} within 60 s")


def start_realapp(name: str, env: dict[str, str], coverage: bool = False) -> Started:
    realapp("restore", name, env=env, timeout=120)
    out = realapp("start", name, *(["--coverage"] if coverage else []), env=env)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or [f"exit {out.returncode}"]
        raise AppError(f"realapp.py start {name}: {tail[0]}")
    info = json.loads(lines[-1])
    return Started(name, info["url"], info.get("login"))


def stop_app(app: Started, env: dict[str, str]) -> None:
    if app.proc is not None:
        kill_group(app.proc)
        app.proc = None
    elif app.name != "demo":
        realapp("stop", app.name, env=env, timeout=120)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group proc leads (its pytest and browsers too), then SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def login_args(login: dict[str, Any] | None, env: dict[str, str]) -> tuple[list[str], str]:
    """CLI options and environment for the app's login; a note when it is not supported."""
    if not login:
        return [], ""
    user, password = login.get("username", ""), login.get("password", "")
    env["QAFORGE_USERNAME"], env["QAFORGE_PASSWORD"] = user, password
    if login.get("kind") == "form":
        return ["--login-url", login["url"]], ""
    if login.get("kind") == "basic":
        return ["--http-credentials", f"{user}:{password}"], ""
    return [], f"login kind {login.get('kind')!r} not supported: run without login"


def run_qaforge(
    qaforge: Path,
    app: Started,
    out: Path,
    budget: float,
    timeout: float,
    env: dict[str, str],
) -> tuple[int | None, float, str]:
    """`qaforge run` to the end (or killed at `timeout`): exit code (None: killed), wall s, note."""
    extra, note = login_args(app.login, env)
    cmd = [str(qaforge), "run", app.url, "--out", str(out), "--json", "--no-pdf"]
    cmd += ["--time-budget", f"{budget:g}", "--app", f"gauntlet-{app.name}", *extra]
    log = out.parent / "qaforge.log"
    t0 = time.monotonic()
    with log.open("wb") as err, (out.parent / "qaforge.json").open("wb") as stdout:
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=out.parent,
            stdout=stdout,
            stderr=err,
            start_new_session=True,
        )
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            code, note = None, f"killed after {timeout:.0f} s"
        finally:
            kill_group(proc)
    return code, round(time.monotonic() - t0, 1), note


def read_summary(out: Path) -> dict[str, Any] | None:
    path = out / "summary.json"
    return json.loads(path.read_text()) if path.exists() else None


def crawl_stats(out: Path, summary: dict[str, Any]) -> tuple[str, list[str]]:
    """Why the crawl stopped and its errors: from the summary, else from model.json."""
    crawl = summary.get("crawl", {})
    stopped, errors = crawl.get("stopped_by"), crawl.get("errors")
    if stopped is None or errors is None:
        model = out / "model.json"
        stats = json.loads(model.read_text()).get("crawl_stats", {}) if model.exists() else {}
        stopped = stats.get("stopped_by", "") if stopped is None else stopped
        errors = stats.get("errors", []) if errors is None else errors
    if isinstance(errors, int):
        return str(stopped), ["?"] * errors
    return str(stopped), [str(e) for e in errors]


def verdict(row: dict[str, Any], budget: float, allowance: float) -> list[str]:
    flags = []
    if row.get("error"):
        flags.append(row["error"])
    if row.get("exit_code") == 2:
        flags.append("exit 2")
    if row.get("stopped_by", "").startswith("error"):
        flags.append("crawl error")
    if row.get("summary") and row.get("tests", 0) == 0:
        flags.append("0 tests")
    if row.get("wall_s", 0) > budget + allowance:
        flags.append(f"slow (> {budget + allowance:.0f} s)")
    return flags


def bench_app(
    name: str,
    qaforge: Path,
    work: Path,
    budget: float,
    allowance: float,
    realapps_env: dict[str, str],
) -> dict[str, Any]:
    app_dir = work / name
    app_dir.mkdir(parents=True, exist_ok=True)
    out = app_dir / "out"
    env = clean_env(qaforge, app_dir / "home")
    row: dict[str, Any] = {"app": name, "budget_s": budget, "out_dir": str(out)}
    t0 = time.monotonic()
    app: Started | None = None
    try:
        if name == "demo":
            app = start_demo(qaforge, env, app_dir / "app.log")
        else:
            app = start_realapp(name, realapps_env)
        row["start_s"], row["url"] = round(time.monotonic() - t0, 1), app.url
        timeout = budget + 3 * allowance + 300
        code, wall, note = run_qaforge(qaforge, app, out, budget, timeout, env)
        row.update(exit_code=code, wall_s=wall)
        if note:
            row["error"] = note
    except (AppError, subprocess.TimeoutExpired) as exc:
        row["error"] = f"not started: {exc}"[:200]
    finally:
        if app is not None:
            stop_app(app, realapps_env)
    summary = read_summary(out) if out.exists() else None
    row["summary"] = summary is not None
    if summary is None:
        if "error" not in row:
            row["error"] = f"no summary.json (see {app_dir / 'qaforge.log'})"
    else:
        stopped, errors = crawl_stats(out, summary)
        t = summary["tests"]
        row.update(
            states=summary["crawl"]["states"],
            templates=summary["crawl"]["templates"],
            stopped_by=stopped,
            crawl_errors=len(errors),
            crawl_error_samples=errors[:3],
            tests=t["generated"],
            passed=t["passed"],
            failed=t["failed"],
            app_defects=t["app_defects"],
            quarantined=t["quarantined"],
            pass_rate=summary["pass_rate"],
            findings=len(summary["findings"]),
            durations=summary["durations"],
        )
    row["verdict"] = verdict(row, budget, allowance)
    return row


def stage_times(d: dict[str, float] | None) -> str:
    """crawl / generate (require+analyze+evolve) / execute (+heal) / report, seconds."""
    if not d:
        return ""
    gen = sum(d.get(k, 0.0) for k in ("require", "analyze", "evolve"))
    exe = d.get("execute", 0.0) + d.get("heal", 0.0)
    return f"{d.get('observe', 0):.0f}/{gen:.0f}/{exe:.0f}/{d.get('report', 0):.0f}"


def print_table(rows: list[dict[str, Any]], qaforge: Path, budget: float) -> None:
    table = Table(title=f"qaforge gauntlet · {qaforge} · crawl budget {budget:g} s")
    cols = [
        "app",
        "states",
        "templates",
        "stopped by",
        "crawl errors",
        "tests",
        "healthy pass",
        "exit",
        "crawl/gen/exec/report s",
        "wall s",
        "verdict",
    ]
    for col in cols:
        table.add_column(
            col, justify="left" if col in {"app", "stopped by", "verdict"} else "right"
        )
    for r in rows:
        s = r["summary"]
        table.add_row(
            r["app"],
            str(r["states"]) if s else "",
            str(r["templates"]) if s else "",
            (r["stopped_by"] or "")[:40] if s else "",
            str(r["crawl_errors"]) if s else "",
            str(r["tests"]) if s else "",
            ("n/a" if r["pass_rate"] is None else f"{r['pass_rate']:.0%}") if s else "",
            "" if r.get("exit_code") is None else str(r["exit_code"]),
            stage_times(r.get("durations")),
            f"{r['wall_s']:.0f}" if "wall_s" in r else "",
            "; ".join(r["verdict"]) or "ok",
        )
    Console(width=200).print(table)


def _interrupt(signum: int, frame: object) -> None:
    """A SIGTERM unwinds like Ctrl-C, so every app started is still stopped."""
    raise KeyboardInterrupt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--apps", default="", help="comma-separated; default demo + every realapp")
    ap.add_argument("--budget", type=float, default=180.0, help="crawl --time-budget, seconds")
    ap.add_argument(
        "--allowance",
        type=float,
        default=300.0,
        help="seconds beyond the budget a run may take (generation, two test runs, report)",
    )
    ap.add_argument("--qaforge", type=Path, default=None, help="the qaforge executable to test")
    ap.add_argument("--json-out", type=Path, default=None, help="write the rows here as JSON")
    ap.add_argument("--work", type=Path, default=None, help="run directories (default: a temp dir)")
    ap.add_argument(
        "--realapps-home",
        default=None,
        help="REALAPPS_HOME for realapp.py (a private one does not disturb others' apps)",
    )
    args = ap.parse_args()
    qaforge = args.qaforge or (WHEEL_QAFORGE if WHEEL_QAFORGE.exists() else DEV_QAFORGE)
    if not qaforge.exists():
        print(f"no qaforge at {qaforge}: run make wheel-venv (or make install)", file=sys.stderr)
        return 2
    realapps_env = dict(os.environ)
    if args.realapps_home:
        realapps_env["REALAPPS_HOME"] = args.realapps_home
    apps = [a.strip() for a in args.apps.split(",") if a.strip()]
    if not apps:
        if not REALAPP.exists():
            # A clone outside the workspace has no ../shared: say so rather than measure the
            # demo alone and call it a gauntlet.
            print(f"no real apps: {REALAPP} does not exist (use --apps demo)", file=sys.stderr)
            return 2
        apps = ["demo", *realapp_names(realapps_env)]
    work = args.work or Path(tempfile.mkdtemp(prefix="qaforge-gauntlet-"))
    work.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"gauntlet: {qaforge} on {', '.join(apps)}; runs in {work}", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    for name in apps:
        print(f"gauntlet: {name} ...", file=sys.stderr, flush=True)
        row = bench_app(name, qaforge, work, args.budget, args.allowance, realapps_env)
        row["qaforge"] = str(qaforge)
        rows.append(row)
        if args.json_out:  # after each app, so a killed gauntlet keeps what it measured
            args.json_out.write_text(json.dumps(rows, indent=2) + "\n")
    print_table(rows, qaforge, args.budget)
    return 1 if any(r["verdict"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
