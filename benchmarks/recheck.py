"""Execute-stage benchmark: a second pass of what can differ against a second full pass.

    .venv/bin/python benchmarks/recheck.py [--pairs 2] [--json]

On the demo shop: one `qaforge run --runs 1` writes its suite; then the execute stage
(`execute_suite`, two passes, the same server) runs with `QAFORGE_RECHECK_SAMPLE=1` (the old
full second pass, the baseline) and with the default share, alternated `--pairs` times. It prints
the median wall time of each, their ratio, the tests each second pass held and the outcomes
(which must agree: the same suite on the same healthy shop).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qaforge.config import Settings
from qaforge.demoapp.launcher import DemoApp
from qaforge.execute.engine import execute_suite

QAFORGE = Path(sys.executable).with_name("qaforge")


def generate(url: str, out: Path) -> Path:
    """The demo shop's suite, as `make demo` makes it (one pass, no heal)."""
    env = {**os.environ, "QAFORGE_USERNAME": "demo", "QAFORGE_PASSWORD": "demo"}
    env["QAFORGE_HOME"] = str(out / "home")
    cmd = [str(QAFORGE), "run", url, "--out", str(out), "--login-url", "/login"]
    cmd += ["--runs", "1", "--no-heal", "--no-pdf", "--json", "--strategy", "balanced"]
    subprocess.run(cmd, env=env, capture_output=True, check=False, timeout=900)
    suite = out / "tests" / "suite.json"
    if not suite.exists():
        raise SystemExit(f"the demo run wrote no suite under {out}")
    return suite


def second_pass_tests(out: Path) -> int:
    root = ET.parse(out / "pytest-run1.xml").getroot()
    ts = root.find("testsuite") if root.tag == "testsuites" else root
    return int(ts.get("tests", "0")) if ts is not None else 0


def one(suite: Path, url: str, work: Path, sample: float) -> dict[str, Any]:
    os.environ["QAFORGE_USERNAME"], os.environ["QAFORGE_PASSWORD"] = "demo", "demo"
    settings = Settings(home=work / "home", recheck_sample=sample)
    out = Path(tempfile.mkdtemp(dir=work, prefix=f"exec-{sample}-"))
    t0 = time.monotonic()
    res = asyncio.run(execute_suite(suite, url, out, settings, runs=2, workers=2))
    wall = time.monotonic() - t0
    return {
        "sample": sample,
        "wall_s": round(wall, 1),
        "second_pass_tests": second_pass_tests(out),
        "counts": res.counts(),
        "recheck": res.recheck,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=2)
    ap.add_argument("--sample", type=float, default=Settings().recheck_sample)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="qaforge-recheck-"))
    runs: list[dict[str, Any]] = []
    with DemoApp() as app:
        suite = generate(app.url, work / "gen")
        for _ in range(args.pairs):
            for sample in (1.0, args.sample):
                runs.append(one(suite, app.url, work, sample))
    full = [r["wall_s"] for r in runs if r["sample"] == 1.0]
    part = [r["wall_s"] for r in runs if r["sample"] != 1.0]
    report = {
        "tests": sum(runs[0]["counts"].values()),
        "full_median_s": statistics.median(full),
        "partial_median_s": statistics.median(part),
        "ratio_full_over_partial": round(statistics.median(full) / statistics.median(part), 2),
        "runs": runs,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    table = Table(title=f"execute stage, {report['tests']} tests, 2 passes, -n 2")
    for col in ("second pass", "wall s", "2nd-pass tests", "outcomes"):
        table.add_column(col)
    for r in runs:
        kind = "full (sample 1.0)" if r["sample"] == 1.0 else f"partial ({r['sample']})"
        outcomes = ", ".join(f"{k} {v}" for k, v in r["counts"].items() if v)
        table.add_row(kind, str(r["wall_s"]), str(r["second_pass_tests"]), outcomes)
    console = Console()
    console.print(table)
    console.print(
        f"median full {report['full_median_s']} s, partial {report['partial_median_s']} s: "
        f"ratio {report['ratio_full_over_partial']}"
    )


if __name__ == "__main__":
    main()
