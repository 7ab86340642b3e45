"""Crawl benchmark: qaforge's crawler against the naive httpx baseline, per app, in one run.

    .venv/bin/python benchmarks/crawl.py [--apps demo,datasette,...] [--json]

Real apps come from ../shared/realapps (installed and started by its realapp.py); an app that
cannot start is reported and skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.baseline import crawl_links
from qaforge.config import Settings
from qaforge.contracts.tasks import CrawlLimits
from qaforge.crawl.explorer import CrawlError, Explorer
from qaforge.demoapp.launcher import DemoApp
from qaforge.models import Auth, Target

REALAPP = Path(__file__).resolve().parents[2] / "shared" / "realapps" / "realapp.py"
ALL_APPS = ["demo", "datasette", "django-admin", "mlflow", "tiddlywiki"]


def start_realapp(name: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(REALAPP), "start", name],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError((out.stderr or out.stdout).strip().splitlines()[-1:] or ["failed"])
    info: dict[str, Any] = json.loads(lines[-1])
    return info


def stop_realapp(name: str) -> None:
    subprocess.run([sys.executable, str(REALAPP), "stop", name], capture_output=True, check=False)


async def qaforge_crawl(
    url: str, login: dict[str, Any] | None, limits: CrawlLimits
) -> dict[str, Any]:
    auth = Auth()
    if login and login.get("kind") == "form":
        os.environ["QAFORGE_USERNAME"] = login["username"]
        os.environ["QAFORGE_PASSWORD"] = login["password"]
        auth = Auth(
            login_url=login["url"],
            username_ref="env:QAFORGE_USERNAME",
            password_ref="env:QAFORGE_PASSWORD",
        )
    t0 = time.monotonic()
    model = await Explorer(Settings(), Target(url=url, auth=auth), limits).run()
    return {
        "states": model.crawl_stats.states,
        "templates": model.crawl_stats.templates,
        "transitions": model.crawl_stats.transitions,
        "forms": model.crawl_stats.forms,
        "time_s": round(time.monotonic() - t0, 1),
        "findings": len(model.findings),
    }


def baseline(url: str, max_pages: int) -> dict[str, Any]:
    r = crawl_links(url, max_pages=max_pages)
    return {
        "states": r.states,
        "templates": r.templates,
        "transitions": r.edges,
        "forms": r.forms,
        "time_s": round(r.seconds, 1),
        "findings": sum(1 for _, s in r.pages if s >= 400),
    }


def bench_app(name: str, limits: CrawlLimits) -> dict[str, Any]:
    if name == "demo":
        with DemoApp() as app:
            login = {"kind": "form", "url": "/login", "username": "demo", "password": "demo"}
            q = asyncio.run(qaforge_crawl(app.url, login, limits))
            b = baseline(app.url, limits.state_cap)
        return {"app": name, "qaforge": q, "baseline": b}
    info = start_realapp(name)
    try:
        url = info["url"]
        q = asyncio.run(qaforge_crawl(url, info.get("login"), limits))
        b = baseline(url, limits.state_cap)
        return {"app": name, "qaforge": q, "baseline": b}
    finally:
        stop_realapp(name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--apps", default=",".join(ALL_APPS))
    ap.add_argument("--max-states", type=int, default=60)
    ap.add_argument("--time-budget", type=float, default=180.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    limits = CrawlLimits(max_states=args.max_states, time_budget_s=args.time_budget)
    rows: list[dict[str, Any]] = []
    for name in args.apps.split(","):
        try:
            rows.append(bench_app(name.strip(), limits))
        except (RuntimeError, CrawlError, subprocess.TimeoutExpired) as exc:
            rows.append({"app": name, "skipped": str(exc)})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="Crawl: qaforge vs naive link crawler (same run)")
    for col in ("app", "crawler", "states", "templates", "transitions", "forms", "time s"):
        table.add_column(col, justify="left" if col in ("app", "crawler") else "right")
    for row in rows:
        if "skipped" in row:
            table.add_row(row["app"], "skipped", row["skipped"][:60], "", "", "", "")
            continue
        for who in ("qaforge", "baseline"):
            f = row[who]
            table.add_row(
                row["app"] if who == "qaforge" else "",
                who,
                str(f["states"]),
                str(f["templates"]),
                str(f["transitions"]),
                str(f["forms"]),
                f"{f['time_s']:.1f}",
            )
    Console().print(table)


if __name__ == "__main__":
    main()
