"""The page a login leads to is explored even when the start page does not link to it
(Django's admin: `/` is a placeholder, the site lives under `/admin/`)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from qaforge.config import Settings
from qaforge.contracts.tasks import CrawlLimits
from qaforge.crawl.explorer import Explorer
from qaforge.models import Auth, Target

pytestmark = pytest.mark.browser

PAGES = {
    "/": "<h1>It works</h1><p>Nothing to see here.</p>",
    "/login": (
        "<h1>Sign in</h1><form method=post action=/login>"
        "<label>User <input name=user></label><label>Password <input type=password name=pw>"
        "</label><button>Sign in</button></form>"
    ),
    "/panel/": "<h1>Panel</h1><a href=/panel/reports>Reports</a> <a href=/panel/users>Users</a>",
    "/panel/reports": "<h1>Reports</h1><a href=/panel/>Back</a>",
    "/panel/users": "<h1>Users</h1><a href=/panel/>Back</a>",
}


class _Handler(BaseHTTPRequestHandler):
    def _page(self, status: int, body: str) -> None:
        data = f"<!doctype html><title>t</title><main>{body}</main>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path.startswith("/panel") and "session=ok" not in (self.headers.get("Cookie") or ""):
            self.send_response(302)
            self.send_header("Location", "/login")
            self.end_headers()
            return
        self._page(200, PAGES[path]) if path in PAGES else self._page(404, "<h1>Not found</h1>")

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        if form.get("user") == ["u"] and form.get("pw") == ["p"]:
            self.send_response(302)
            self.send_header("Set-Cookie", "session=ok; Path=/")
            self.send_header("Location", "/panel/")
            self.end_headers()
            return
        self._page(200, PAGES["/login"] + "<p>Wrong password</p>")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_the_page_after_login_is_a_second_way_in(
    site: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QAFORGE_USERNAME", "u")
    monkeypatch.setenv("QAFORGE_PASSWORD", "p")
    auth = Auth(login_url="/login", username_ref="env:QAFORGE_USERNAME",
                password_ref="env:QAFORGE_PASSWORD")
    explorer = Explorer(Settings(home=tmp_path), Target(url=site + "/", auth=auth),
                        CrawlLimits(contexts=1, max_states=20))
    model = asyncio.run(explorer.run())
    paths = {s.url.removeprefix(site) for s in model.states}
    assert {"/", "/panel/", "/panel/reports", "/panel/users"} <= paths, paths
