"""A quarantined test still runs, and failing every run it fails the build (DESIGN.md §3),
on a tiny local page. The rules themselves are unit-tested in tests/unit/execute."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.execute.engine import execute_suite
from qaforge.generate.conftest_py import conftest_source, pytest_ini
from qaforge.models import GeneratedTest, ScenarioKind, TestOutcome, TestSuite

pytestmark = pytest.mark.browser

TEST_ID = "test_page.py::test_heading"


class _Page(BaseHTTPRequestHandler):
    heading = "Welcome"

    def do_GET(self) -> None:
        body = f"<!doctype html><title>t</title><h1>{type(self).heading}</h1>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        _Page.heading = "Welcome"


def write_suite(d: Path, base_url: str) -> Path:
    d.mkdir(parents=True)
    # A suite as qaforge writes it: its fixtures from the plugin, its settings in pytest.ini.
    (d / "conftest.py").write_text(conftest_source(base_url, None, False, standalone=False))
    (d / "pytest.ini").write_text(pytest_ini(base_url, None, False, standalone=False))
    (d / "test_page.py").write_text(
        "from playwright.sync_api import Page, expect\n\n\n"
        "def test_heading(page: Page) -> None:\n"
        '    page.goto("/")\n'
        '    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()\n'
    )
    test = GeneratedTest(
        test_id=TEST_ID,
        scenario_id="s1",
        file="test_page.py",
        function="test_heading",
        kind=ScenarioKind.PAGE_LOADS,
    )
    suite = TestSuite(directory=str(d), tests=[test], files=["test_page.py"])
    (d / "suite.json").write_text(suite.model_dump_json())
    entry = {"test_id": TEST_ID, "reason": "flaky: x", "since": "2024-05-01T10:00:00+00:00"}
    (d / "quarantine.json").write_text(json.dumps([{**entry, "consecutive_passes": 2}]))
    return d / "suite.json"


def test_quarantined_test_runs_and_its_regression_fails(
    tmp_path: Path, site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QAFORGE_TIMEOUT_MS", "2000")
    suite_path = write_suite(tmp_path / "suite", site)

    _Page.heading = "Broken"  # the regression a skipping quarantine used to hide
    results = asyncio.run(
        execute_suite(
            suite_path, site, tmp_path / "out", Settings(), runs=1, workers=1, test_timeout_s=30
        )
    )
    [r] = results.results
    assert r.runs == ["failed"]  # it ran, although quarantined
    assert r.outcome == TestOutcome.FAILED and "Welcome" in r.message
    [entry] = json.loads((tmp_path / "suite" / "quarantine.json").read_text())
    assert entry["since"] == "2024-05-01T10:00:00+00:00" and entry["consecutive_passes"] == 0
