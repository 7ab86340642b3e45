"""A generated suite counts the app's own API answering 5xx as an error of the page.

MLflow's metric charts failed with a 500 from its own API and logged no script error: the
suite's console check passed and the regression went unseen. A third-party server failing is
not the app's error, and neither is a 4xx (a search with no match) nor the browser's
"ResizeObserver loop" notice (MLflow logs it on a resize)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from qaforge.generate.conftest_py import conftest_source, pytest_ini
from tests.fixtures.http import QuietHandler, serve

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html><head><title>Charts</title></head><body><h1>Charts</h1>
<p id="out">loading</p>
<script>const out = document.getElementById("out");
fetch("{api}").then((r) => {{ out.textContent = "done " + r.status; }}, () => {{ out.textContent = "done"; }});
</script></body></html>"""


class OtherSite(QuietHandler):
    def do_GET(self) -> None:
        self.send_html(500, "down", {"Access-Control-Allow-Origin": "*"})


def app_handler(other: str) -> type[QuietHandler]:
    class App(QuietHandler):
        def do_GET(self) -> None:
            pages = {
                "/ok": PAGE.format(api="/api/ok"),
                "/missing": PAGE.format(api="/api/missing"),
                "/broken": PAGE.format(api="/api/broken"),
                "/third": PAGE.format(api=other + "api/broken"),
                "/benign": PAGE.format(api="/api/ok").replace(
                    "<script>",
                    "<script>console.error(null, 'ResizeObserver loop completed with "
                    "undelivered notifications.');",
                ),
            }
            if self.path in pages:
                self.send_html(200, pages[self.path])
            elif self.path == "/api/ok":
                self.send_html(200, "{}")
            elif self.path == "/api/missing":
                self.send_html(404, "{}")
            else:
                self.send_html(500, "boom")

    return App


TEST = """
from playwright.sync_api import Page, expect


def check(page: Page, console_errors: list[str], path: str) -> None:
    page.goto(path)
    expect(page.get_by_text("done", exact=False)).to_be_visible()
    assert console_errors == [], "console errors: " + repr(console_errors)


def test_ok(page: Page, console_errors: list[str]) -> None:
    check(page, console_errors, "/ok")


def test_missing(page: Page, console_errors: list[str]) -> None:
    check(page, console_errors, "/missing")


def test_broken(page: Page, console_errors: list[str]) -> None:
    check(page, console_errors, "/broken")


def test_third(page: Page, console_errors: list[str]) -> None:
    check(page, console_errors, "/third")


def test_benign(page: Page, console_errors: list[str]) -> None:
    check(page, console_errors, "/benign")
"""


def test_only_the_apps_own_server_errors_fail_the_console_check(tmp_path: Path) -> None:
    with serve(OtherSite) as other, serve(app_handler(other)) as url:
        (tmp_path / "conftest.py").write_text(
            conftest_source(url.rstrip("/"), None, False, standalone=False)
        )
        (tmp_path / "pytest.ini").write_text(
            pytest_ini(url.rstrip("/"), None, False, standalone=False)
        )
        (tmp_path / "test_pages.py").write_text(TEST)
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
    out = done.stdout
    assert "PASSED test_pages.py::test_ok[chromium]" in out, out
    assert "PASSED test_pages.py::test_missing[chromium]" in out, out
    assert "PASSED test_pages.py::test_third[chromium]" in out, out
    # The browser's notice of a late layout is not the app's error.
    assert "PASSED test_pages.py::test_benign[chromium]" in out, out
    assert "FAILED test_pages.py::test_broken[chromium]" in out, out
    assert "server error: GET " + url + "api/broken answered 500" in out, out
