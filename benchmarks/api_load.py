"""Load on `qaforge serve`: Locust users listing and reading runs and artifacts while runs
of the demo shop execute in the same server.

    .venv/bin/python benchmarks/api_load.py [--users 100] [--seconds 60] [--runs 2] [--json]

A server with a fresh home (SQLite, in-process bus) gets one tenant, ten viewer keys, a
project of the bundled demo shop and 50 finished runs to read (each with a report and a
summary); then `--runs` real runs start through the API and Locust (headless, `--users` users
spawned at 20/s, 0.5-1.5 s between requests) reads for `--seconds`. Reported per endpoint:
requests, failures, p50/p95/p99 (ms), and the ratio of each p95 to /health's, the server's own
floor measured in the same run. Then the rate limit: 30 bad logins from one address, how many
were refused with 429.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qaforge.demoapp.launcher import DemoApp  # noqa: E402
from qaforge.serve.security import Role  # noqa: E402
from qaforge.store.database import Database  # noqa: E402
from qaforge.store.service_tables import ProjectRunRow  # noqa: E402
from qaforge.store.tables import RunRow  # noqa: E402
from tests.integration.serve.server import Server, make_keys  # noqa: E402

FINISHED = 50


def seed(home: Path, tenant_id: int, project_id: int) -> list[str]:
    """Finished runs with a report and a summary each, as reads' targets."""
    ids = [f"run-bench{i:012d}" for i in range(FINISHED)]

    async def go() -> None:
        db = Database(f"sqlite:///{home / 'qaforge.db'}")
        try:
            async with db.session() as s:
                for run_id in ids:
                    out = home / "runs" / run_id
                    out.mkdir(parents=True)
                    (out / "report.html").write_text("<h1>report</h1>" + "<p>row</p>" * 2000)
                    summary = {
                        "run_id": run_id,
                        "tests": {"generated": 40, "passed": 40},
                        "pass_rate": 1.0,
                        "findings": [],
                    }
                    (out / "summary.json").write_text(json.dumps(summary))
                    s.add(
                        RunRow(
                            id=run_id,
                            app="bench/shop",
                            state="COMPLETED",
                            out_dir=str(out),
                            summary_path=str(out / "summary.json"),
                            exit_code=0,
                        )
                    )
                    s.add(
                        ProjectRunRow(
                            run_id=run_id,
                            project_id=project_id,
                            tenant_id=tenant_id,
                            started_by="bench",
                        )
                    )
        finally:
            await db.dispose()

    asyncio.run(go())
    return ids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    console = Console(stderr=True)
    work = Path(tempfile.mkdtemp(prefix="qaforge-load-"))
    home = work / "home"
    keys = make_keys(home, ["bench"])
    viewer_keys = [keys[("bench", Role.VIEWER)]]
    with DemoApp() as shop:
        server = Server(home).start()
        try:
            admin = keys[("bench", Role.ADMIN)]
            with server.client(admin) as c:
                for i in range(9):
                    viewer_keys.append(
                        c.post("/api/v2/keys", json={"role": "viewer", "name": f"v{i}"}).json()[
                            "token"
                        ]
                    )
                tenant_id = c.get("/api/v2/tenant").json()["id"]
                project = c.post(
                    "/api/v2/projects",
                    json={
                        "name": "shop",
                        "base_url": shop.url + "/",
                        "max_states": 10,
                        "time_budget_s": 60,
                        "max_tests": 10,
                    },
                ).json()["id"]
            runs = seed(home, tenant_id, project)
            with server.client(keys[("bench", Role.MAINTAINER)]) as c:
                live = [
                    c.post("/api/v2/runs", json={"project_id": project}).json()["id"]
                    for _ in range(args.runs)
                ]
            console.print(
                f"server {server.url}; {len(live)} run(s) executing; "
                f"{args.users} users for {args.seconds}s"
            )
            prefix = work / "locust"
            env = dict(
                os.environ,
                QAFORGE_BENCH_KEYS=",".join(viewer_keys),
                QAFORGE_BENCH_RUNS=",".join(runs + live),
                QAFORGE_BENCH_DONE=",".join(runs),
            )
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "locust",
                    "-f",
                    str(ROOT / "benchmarks" / "locustfile.py"),
                    "--headless",
                    "-u",
                    str(args.users),
                    "-r",
                    "20",
                    "-t",
                    f"{args.seconds}s",
                    "--host",
                    server.url,
                    "--csv",
                    str(prefix),
                    "--only-summary",
                ],
                env=env,
                check=False,
                capture_output=True,
                timeout=args.seconds + 120,
            )
            with server.client(keys[("bench", Role.VIEWER)]) as c:
                states = [c.get(f"/api/v2/runs/{r}").json()["state"] for r in live]
            # The rate limit on logins: 30 wrong passwords from one address.
            refused = 0
            with httpx.Client(base_url=server.url) as c:
                for _ in range(30):
                    r = c.post("/login", json={"username": "nobody", "password": "wrong-pass"})
                    refused += r.status_code == 429
        finally:
            server.stop()
    rows = list(csv.DictReader((prefix.parent / f"{prefix.name}_stats.csv").open()))
    base = next(r for r in rows if r["Name"].startswith("GET /health"))
    base_p95 = float(base["95%"]) or 1.0
    table = Table(
        title=f"qaforge serve under load: {args.users} users, {args.seconds}s, "
        f"{len(live)} runs executing ({', '.join(states)})"
    )
    for col in ("endpoint", "requests", "failures", "p50 ms", "p95 ms", "p99 ms", "p95 / health"):
        table.add_column(col, justify="left" if col == "endpoint" else "right")
    report: list[dict[str, Any]] = []
    for r in rows:
        p95 = float(r["95%"])
        entry = {
            "endpoint": r["Name"],
            "requests": int(r["Request Count"]),
            "failures": int(r["Failure Count"]),
            "p50": float(r["50%"]),
            "p95": p95,
            "p99": float(r["99%"]),
        }
        report.append(entry)
        table.add_row(
            r["Name"],
            str(entry["requests"]),
            str(entry["failures"]),
            f"{entry['p50']:.0f}",
            f"{p95:.0f}",
            f"{entry['p99']:.0f}",
            f"{p95 / base_p95:.1f}",
        )
    if args.json:
        print(
            json.dumps(
                {
                    "users": args.users,
                    "seconds": args.seconds,
                    "runs": states,
                    "endpoints": report,
                    "login_429_of_30": refused,
                },
                indent=2,
            )
        )
    else:
        Console().print(table)
        Console().print(f"rate limit: {refused} of 30 bad logins from one address refused (429)")


if __name__ == "__main__":
    main()
