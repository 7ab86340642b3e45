"""An app behind HTTP basic auth: credentials given as a flag reach the suite, which passes."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.http import QuietHandler, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SECRET = "s3cret-Basic-42"
TOKEN = base64.b64encode(f"admin:{SECRET}".encode()).decode()
PAGES = {
    "/": "<h1>Tracker</h1><nav><a href='/issues'>Issues</a> <a href='/about'>About</a></nav>",
    "/issues": "<h1>Issues</h1><ul><li><a href='/issues/1'>First issue</a></li></ul>"
    "<a href='/'>Home</a>",
    "/issues/1": "<h1>First issue</h1><p>Status: open</p><a href='/issues'>Back to issues</a>",
    "/about": "<h1>About the tracker</h1><a href='/'>Home</a>",
}


class _Handler(QuietHandler):
    def do_GET(self) -> None:
        if self.headers.get("Authorization") != f"Basic {TOKEN}":
            self.send_html(401, "", {"WWW-Authenticate": 'Basic realm="tracker"'})
            return
        body = PAGES.get(self.path.split("?")[0])
        html = f"<!doctype html><html><head><title>Tracker</title></head><body>{body or 'no'}"
        self.send_html(200 if body else 404, html + "</body></html>")


@pytest.fixture()
def basic_app() -> Iterator[str]:
    with serve(_Handler) as url:
        yield url


@pytest.mark.timeout(400)
def test_http_credentials_flag_reaches_the_suite(basic_app: str, tmp_path: Path) -> None:
    out = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QAFORGE_")}
    env.update({"QAFORGE_HOME": str(tmp_path / "home"), "COLUMNS": "200"})
    args = [sys.executable, "-m", "qaforge.cli", "run", basic_app, "--out", str(out)]
    args += ["--http-credentials", f"admin:{SECRET}", "--json", "--no-pdf", "--no-learning"]
    args += ["--time-budget", "60", "--runs", "1"]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=380)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    tests = summary["tests"]
    assert tests["generated"] >= 4
    assert tests["passed"] == tests["generated"], summary
    assert tests["app_defects"] == 0
    # The password travelled in the environment only: no file of the run holds it.
    for path in out.rglob("*"):
        if path.is_file() and path.stat().st_size < 5_000_000:
            assert SECRET.encode() not in path.read_bytes(), path
