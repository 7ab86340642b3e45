"""Bad input gives a clear message, never a traceback, and keeps what was explored."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qaforge.cli import app
from qaforge.config import Settings
from qaforge.contracts.tasks import CrawlLimits
from qaforge.crawl.explorer import CrawlError, Explorer
from qaforge.demoapp.launcher import DemoApp
from qaforge.models import CrawlStats, Target

pytestmark = pytest.mark.browser


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/hang":
            self.server.release.wait(10)  # type: ignore[attr-defined]
            return
        if self.path == "/cold" and "Chrome" in self.headers.get("User-Agent", ""):
            # The browser's first load of the way in hangs (a cold start on a busy machine).
            with self.server.lock:  # type: ignore[attr-defined]
                self.server.cold_loads += 1  # type: ignore[attr-defined]
                first = self.server.cold_loads == 1  # type: ignore[attr-defined]
            if first:
                self.server.release.wait(10)  # type: ignore[attr-defined]
                return
        if self.path == "/away":
            self.send_response(302)
            self.send_header("Location", "http://example.invalid/elsewhere")
            self.end_headers()
            return
        if self.path == "/file.pdf":
            body = b"%PDF-1.4 not a page"
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
        else:
            body = b"<html><body><h1>Fixture</h1><a href='/hang'>slow</a></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture()
def fixture_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.release = threading.Event()  # type: ignore[attr-defined]
    server.lock = threading.Lock()  # type: ignore[attr-defined]
    server.cold_loads = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.release.set()  # type: ignore[attr-defined]
    server.shutdown()


def crawl_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["crawl", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_unreachable_url(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out = crawl_cli(f"http://127.0.0.1:{port}/", "--out", str(tmp_path))
    assert code == 2
    assert "is unreachable" in out and "Traceback" not in out


def test_non_html_response(fixture_server: str, tmp_path: Path) -> None:
    code, out = crawl_cli(f"{fixture_server}/file.pdf", "--out", str(tmp_path))
    assert code == 2 and "is not an HTML page" in out and "application/pdf" in out


def test_redirect_out_of_scope(fixture_server: str, tmp_path: Path) -> None:
    code, out = crawl_cli(f"{fixture_server}/away", "--out", str(tmp_path))
    assert code == 2 and "redirects out of scope" in out


def test_not_a_url(tmp_path: Path) -> None:
    code, out = crawl_cli("ftp://x", "--out", str(tmp_path))
    assert code == 2 and "is not an http(s) URL" in out


def test_page_that_never_finishes_loading(fixture_server: str) -> None:
    limits = CrawlLimits(page_timeout_ms=1500)
    explorer = Explorer(Settings(), Target(url=f"{fixture_server}/hang"), limits)
    with pytest.raises(CrawlError, match="did not answer within"):
        asyncio.run(explorer.run())


def test_hanging_link_mid_crawl_is_recorded_and_crawl_goes_on(fixture_server: str) -> None:
    limits = CrawlLimits(page_timeout_ms=1500, contexts=1)
    model = asyncio.run(Explorer(Settings(), Target(url=fixture_server + "/"), limits).run())
    assert model.crawl_stats.states == 1
    assert any("Timeout" in e or "timeout" in e for e in model.crawl_stats.errors)


def test_a_way_in_that_hangs_once_in_the_browser_is_loaded_again(fixture_server: str) -> None:
    limits = CrawlLimits(page_timeout_ms=1500, contexts=1, http_pages=0)
    model = asyncio.run(Explorer(Settings(), Target(url=fixture_server + "/cold"), limits).run())
    assert model.crawl_stats.states == 1, model.crawl_stats.errors
    assert not any("/cold" in e for e in model.crawl_stats.errors), model.crawl_stats.errors


def test_login_that_fails(demo_app: DemoApp, tmp_path: Path) -> None:
    code, out = crawl_cli(
        demo_app.url,
        "--out",
        str(tmp_path),
        "--login-url",
        "/login",
        "--username",
        "demo",
        "--password",
        "not-the-password",
    )
    assert code == 2 and "login at" in out and "failed" in out
    assert "not-the-password" not in out


def _chromium_pids() -> list[int]:
    """Main Chromium processes started below this test process."""
    me = os.getpid()
    parents: dict[int, int] = {}
    cmds: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmds[int(entry)] = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue

    def below_me(pid: int) -> bool:
        while pid > 1:
            if pid == me:
                return True
            pid = parents.get(pid, 1)
        return False

    return [
        p
        for p, c in cmds.items()
        if "chrom" in c and "--type=" not in c and below_me(p) and p != me
    ]


def test_browser_crash_mid_crawl_restarts_and_goes_on(demo_app: DemoApp) -> None:
    killed: list[int] = []

    def on_progress(stats: CrawlStats) -> None:
        if not killed and stats.states >= 3:
            for pid in _chromium_pids():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    explorer = Explorer(
        Settings(),
        Target(url=demo_app.url, exclude=[r"/admin"]),
        CrawlLimits(contexts=1, max_states=12),
        progress=on_progress,
    )
    model = asyncio.run(explorer.run())
    assert killed, "the test should have found Chromium to kill"
    assert model.crawl_stats.browser_restarts >= 1
    assert model.crawl_stats.states > 3
