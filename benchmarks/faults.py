"""Fault-detection benchmark (mutation score): does the generated suite notice real bugs?

    .venv/bin/python benchmarks/faults.py [--bugs a,b] [--realapps all|datasette,...]
        [--json] [--record] [--no-demo]

Generates the suite once on the healthy demo shop (the pipeline runs it twice there; the
tests that passed both times are kept), runs the kept suite on the same healthy server twice
more without a restart (false alarms and idempotence: the first run's data is still there),
then runs it against each `--bug` variant; a fault is caught when a kept test that passed both
healthy reruns now fails. In
the same run, the naive baseline (every page an httpx link crawler found must answer < 400)
faces the same faults. With --realapps, the same for the seeded faults of ../shared/realapps
apps. A per-app table gives tests kept, both healthy pass rates, faults caught and the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.baseline import crawl_links
from qaforge.config import Settings, load_settings
from qaforge.contracts.tasks import CrawlLimits, ObserveRequest
from qaforge.demoapp.bugs import BUGS
from qaforge.demoapp.launcher import DemoApp
from qaforge.execute.engine import load_suite
from qaforge.execute.runner import run_pytest
from qaforge.models import Auth, RunResults, Scenario, Target, TestOutcome
from qaforge.orchestrate.orchestrator import run_graph
from qaforge.orchestrate.request import RunRequest
from qaforge.report.summary import oracle_of

REALAPP = Path(__file__).resolve().parents[2] / "shared" / "realapps" / "realapp.py"


def generate(
    url: str, out: Path, login: dict[str, Any] | None, app: str, settings: Settings | None
) -> tuple[list[str], str]:
    """Generate and run the suite on the healthy app; the passing tests' ids and the run id."""
    auth = Auth()
    if login and login.get("kind") == "form":
        os.environ["QAFORGE_USERNAME"] = login["username"]
        os.environ["QAFORGE_PASSWORD"] = login["password"]
        auth = Auth(
            login_url=login["url"],
            username_ref="env:QAFORGE_USERNAME",
            password_ref="env:QAFORGE_PASSWORD",
        )
    req = RunRequest(
        observe=ObserveRequest(
            target=Target(url=url, app=app, auth=auth), limits=CrawlLimits(), out_dir=str(out)
        ),
        out_dir=str(out),
        app=app,
        strategy="balanced",
        runs=2,
        heal=False,
        pdf=False,
    )
    outcome = asyncio.run(run_graph(req, settings or Settings(home=out / "home")))
    results = RunResults.model_validate_json((out / "results.json").read_text())
    passed = [r.test_id for r in results.results if r.outcome == TestOutcome.PASSED]
    return passed, outcome.run_id


def progress(line: str) -> None:
    """One line on stderr per finished step, so a long benchmark shows where it is."""
    print(f"[faults {time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)


def record_mutation_score(settings: Settings, run_id: str, rows: list[dict[str, Any]]) -> None:
    """The share of faults caught, as a system metric of the run that generated the suite."""
    from qaforge.learn.config import LearningConfig
    from qaforge.learn.feedback import record_system_metric
    from qaforge.store.database import Database

    score = sum(1 for r in rows if r["qaforge"]) / max(1, len(rows))

    async def go() -> None:
        db = Database(str(settings.database_url))
        try:
            cfg = LearningConfig.from_settings(settings)
            await record_system_metric(db, run_id, "mutation_score", score, cfg)
        finally:
            await db.dispose()

    asyncio.run(go())


def suite_detects(suite_dir: Path, url: str, passing: list[str], out: Path) -> list[str]:
    """Tests that passed on the healthy app and fail now."""
    run = asyncio.run(run_pytest(suite_dir, url, out, Settings(), 0, passing, 2))
    return sorted(t for t, c in run.cases.items() if c.outcome in {"failed", "error"})


def healthy_reruns(suite_dir: Path, url: str, kept: list[str], out: Path) -> list[dict[str, Any]]:
    """The kept suite twice more on the same healthy server: pass rate and failures of each."""
    runs = []
    for i in (1, 2):
        failing = suite_detects(suite_dir, url, kept, out / f"healthy-{i}")
        rate = 1.0 - len(failing) / len(kept) if kept else 0.0
        runs.append({"pass_rate": rate, "failing": failing})
    return runs


def sound_tests(passing: list[str], reruns: list[dict[str, Any]]) -> list[str]:
    """The kept tests that passed both healthy reruns: only these can catch a fault (a test
    that fails on the healthy app too would "catch" every fault)."""
    failed = {t for r in reruns for t in r["failing"]}
    return [t for t in passing if t not in failed]


def oracles(out: Path, failing: list[str]) -> dict[str, int]:
    """How many of the failing tests each oracle (or scenario kind) accounts for."""
    raw = json.loads((out / "scenarios.json").read_text())["scenarios"]
    by_id = {sc.id: sc for sc in (Scenario.model_validate(r) for r in raw)}
    scenario_of = {t.test_id: t.scenario_id for t in load_suite(out / "tests" / "suite.json").tests}
    counts: dict[str, int] = {}
    for test in failing:
        name = oracle_of(by_id.get(scenario_of.get(test, "")))
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def verdict(failing: list[str], caught_by: dict[str, int]) -> str:
    """One progress word for a fault, with the oracles of the tests that caught it."""
    if not failing:
        return "qaforge missed"
    return (
        f"qaforge caught ({len(failing)}: "
        + ", ".join(f"{k} {v}" for k, v in caught_by.items())
        + ")"
    )


def _caught(pages: list[str]) -> str:
    """The baseline's word for a fault, for the progress line (a killed run keeps it)."""
    return f"caught ({len(pages)} pages)" if pages else "missed"


def baseline_pages(url: str) -> list[str]:
    return [u for u, s in crawl_links(url, max_pages=60).pages if s < 400]


def baseline_detects(pages: list[str], base_old: str, base_new: str) -> list[str]:
    bad = []
    with httpx.Client(follow_redirects=True, timeout=10) as client:
        for page in pages:
            u = base_new + page[len(base_old) :]
            try:
                if client.get(u).status_code >= 400:
                    bad.append(u)
            except httpx.HTTPError:
                bad.append(u)
    return bad


def bench_demo(
    bugs: list[str], work: Path, settings: Settings | None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    suite_dir = work / "demo" / "tests"
    with DemoApp() as app:
        passing, run_id = generate(
            app.url,
            work / "demo",
            {"kind": "form", "url": "/login", "username": "demo", "password": "demo"},
            "demo-shop",
            settings,
        )
        reruns = healthy_reruns(suite_dir, app.url, passing, work / "demo")
        progress(f"demo: {len(passing)} kept, healthy {[r['pass_rate'] for r in reruns]}")
        pages = baseline_pages(app.url)
        healthy = app.url
    rows = []
    for bug in bugs:
        with DemoApp(bug=bug) as app:
            failing = suite_detects(
                suite_dir, app.url, sound_tests(passing, reruns), work / f"bug-{bug}"
            )
            base = baseline_detects(pages, healthy, app.url)
        caught_by = oracles(work / "demo", failing)
        rows.append(
            {
                "app": "demo",
                "fault": bug,
                "qaforge": failing,
                "oracles": caught_by,
                "baseline": base,
                "effect": BUGS[bug],
            }
        )
        progress(f"demo {bug}: {verdict(failing, caught_by)}; baseline {_caught(base)}")
    if settings is not None:
        record_mutation_score(settings, run_id, rows)
    return rows, {"app": "demo", "kept": len(passing), "healthy": reruns}


def realapp(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REALAPP), *args],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def bench_realapp(
    name: str, work: Path, settings: Settings | None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    realapp("restore", name)
    started = realapp("start", name)
    info = json.loads([ln for ln in started.stdout.splitlines() if ln.startswith("{")][-1])
    try:
        passing, run_id = generate(info["url"], work / name, info.get("login"), name, settings)
        reruns = healthy_reruns(work / name / "tests", info["url"], passing, work / name)
        progress(f"{name}: {len(passing)} kept, healthy {[r['pass_rate'] for r in reruns]}")
        pages = baseline_pages(info["url"])
    finally:
        realapp("stop", name)
    faults = [
        json.loads(ln)["fault"]
        for ln in realapp("faults", name).stdout.splitlines()
        if ln.startswith("{")
    ]
    rows = []
    for fault in faults:
        injected = realapp("inject", name, fault)
        if injected.returncode != 0:
            progress(f"{name} {fault}: not injected ({injected.stderr.strip()[-200:]})")
            continue
        realapp("start", name)
        try:
            failing = suite_detects(
                work / name / "tests", info["url"], sound_tests(passing, reruns), work / fault
            )
            base = baseline_detects(pages, info["url"], info["url"])
        finally:
            realapp("stop", name)
            realapp("restore", name)
        caught_by = oracles(work / name, failing)
        rows.append(
            {
                "app": name,
                "fault": fault,
                "qaforge": failing,
                "oracles": caught_by,
                "baseline": base,
            }
        )
        progress(f"{name} {fault}: {verdict(failing, caught_by)}; baseline {_caught(base)}")
    if settings is not None:
        record_mutation_score(settings, run_id, rows)
    return rows, {"app": name, "kept": len(passing), "healthy": reruns}


def realapp_names() -> list[str]:
    out = realapp("list").stdout.splitlines()
    return [json.loads(ln)["name"] for ln in out if ln.startswith("{")]


def app_table(rows: list[dict[str, Any]], apps: list[dict[str, Any]]) -> Table:
    """One row per app: kept tests, both healthy pass rates, faults caught, baseline caught."""
    table = Table(title="Per app: false alarms on the healthy app and faults caught")
    for col in ("app", "kept", "healthy 1", "healthy 2", "caught", "baseline"):
        table.add_column(col)
    for a in apps:
        mine = [r for r in rows if r["app"] == a["app"]]
        q = sum(1 for r in mine if r["qaforge"])
        b = sum(1 for r in mine if r["baseline"])
        table.add_row(
            a["app"],
            str(a["kept"]),
            *(f"{h['pass_rate']:.0%} ({len(h['failing'])} failed)" for h in a["healthy"]),
            f"{q}/{len(mine)}",
            f"{b}/{len(mine)}",
        )
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bugs", default=",".join(sorted(BUGS)))
    ap.add_argument("--realapps", default="", help="comma-separated realapps names, or all")
    ap.add_argument(
        "--no-demo", action="store_true", help="only the realapps (no demo shop generation)"
    )
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--record",
        action="store_true",
        help="run in the configured qaforge database and record each app's mutation score "
        "for the learning loop",
    )
    args = ap.parse_args()
    settings = load_settings() if args.record else None
    work = Path(tempfile.mkdtemp(prefix="qaforge-faults-"))
    rows: list[dict[str, Any]] = []
    apps: list[dict[str, Any]] = []
    if not args.no_demo:
        rows, demo = bench_demo([b for b in args.bugs.split(",") if b], work, settings)
        apps.append(demo)
    names = realapp_names() if args.realapps == "all" else args.realapps.split(",")
    for name in [n for n in names if n]:
        more, summary = bench_realapp(name, work, settings)
        rows += more
        apps.append(summary)
    if args.json:
        print(json.dumps({"faults": rows, "apps": apps}, indent=2))
        return
    table = Table(title="Seeded faults detected: qaforge suite vs naive status-code baseline")
    for col in ("app", "fault", "qaforge (tests failing, by oracle)", "baseline"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["app"],
            r["fault"],
            f"yes ({len(r['qaforge'])} tests: "
            + ", ".join(f"{k} {v}" for k, v in r["oracles"].items())
            + ")"
            if r["qaforge"]
            else "no",
            "yes" if r["baseline"] else "no",
        )
    q = sum(1 for r in rows if r["qaforge"])
    b = sum(1 for r in rows if r["baseline"])
    n = max(1, len(rows))
    table.add_row(
        "all",
        f"{len(rows)} faults",
        f"{q}/{len(rows)} = {q / n:.0%}",
        f"{b}/{len(rows)} = {b / n:.0%}",
    )
    console = Console()
    console.print(table)
    console.print(app_table(rows, apps))


if __name__ == "__main__":
    main()
