"""The HTTP walk: the browser's cookies, the scope, the deny list, the budget (a real server)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from pathlib import Path
from typing import ClassVar

from qaforge.crawl.discover import Discovery, DiscoveryLimits, discover, parse_links
from qaforge.crawl.scope import Scope
from tests.fixtures.http import QuietHandler, serve

SESSION = "sid=s3cret"


class App(QuietHandler):
    """A small app behind a session cookie, with links it must never follow."""

    requested: ClassVar[list[str]] = []
    lock = threading.Lock()

    def do_GET(self) -> None:
        with self.lock:
            self.requested.append(self.path)
        if self.path.startswith("/login"):
            self.send_html(200, "<title>Log in</title><form><input type=password></form>")
            return
        if SESSION not in (self.headers.get("Cookie") or ""):
            self.send_response(302)
            self.send_header("Location", "/login?next=" + self.path)
            self.end_headers()
            return
        if self.path == "/":
            items = "".join(f'<a href="/items/{i}">Item {i}</a>' for i in range(1, 21))
            self.send_html(
                200,
                f"""<title>Home</title>{items}
                <a href="/about">About us</a>
                <a href="/logout">Log out</a>
                <a href="/items/3/delete">x</a>
                <a href="/wipe" title="Delete everything">!</a>
                <a href="/private/keys">Keys</a>
                <a href="http://example.invalid/elsewhere">Elsewhere</a>
                <a href="/away">Away</a>
                <a href="/logo.png">Logo</a>
                <a href="mailto:a@b.c">Mail</a>
                <a href="http://[x">Broken address</a>
                <a href="/fi
nd?q=a%26b">Odd query</a>
                <a href="#top">Top</a>""",
            )
        elif self.path.startswith("/items/"):
            self.send_html(200, f"<title>Item</title><h1>{self.path}</h1><a href='/'>Home</a>")
        elif self.path.startswith("/find"):
            # One parameter whose value holds an "&": sent as linked, not decoded.
            ok = self.path == "/find?q=a%26b"
            self.send_html(200 if ok else 400, "<title>Found</title>")
        elif self.path == "/about":
            self.send_html(200, "<title>About</title><a href='/about/team'>Team</a>")
        elif self.path == "/about/team":
            self.send_html(200, "<title>Team</title><a href='/hang'>Slow</a>")
        elif self.path == "/away":
            self.send_response(302)
            self.send_header("Location", "http://example.invalid/")
            self.end_headers()
        elif self.path == "/hang":
            time.sleep(3)  # longer than the walk's per-request timeout
            with contextlib.suppress(OSError):  # the walk has hung up by now
                self.send_html(200, "<title>Late</title>")
        else:
            self.send_html(404, "<title>Not found</title>")


def walk(url: str, cookies: bool = True, **limits: float) -> Discovery:
    scope = Scope.build(url, exclude=["/private/"])
    host = url.split("/")[2].split(":")[0]
    # As a browser context gives them: the app's cookie, and another site's.
    jar = [
        {"name": "sid", "value": "s3cret", "domain": host, "path": "/"},
        {"name": "sid", "value": "other", "domain": ".example.org", "path": "/"},
    ]
    return asyncio.run(
        discover(
            [url],
            scope,
            cookies=jar if cookies else None,
            login_path="/login",
            limits=DiscoveryLimits(timeout_s=1.0, **limits),  # type: ignore[arg-type]
        )
    )


def test_the_walk_uses_the_session_cookies_and_stays_in_bounds() -> None:
    App.requested = []
    with serve(App) as url:
        found = walk(url, time_s=20)
    paths = {p.url.removeprefix(url[:-1]) for p in found.pages}
    assert {"/", "/about", "/about/team", "/items/1", "/find?q=a%26b"} <= paths
    found_page = next(p for p in found.pages if "/find" in p.url)
    assert found_page.status == 200  # requested as linked (a line break in the href dropped)
    # Eight instances of a kind of page, by default: the rest add requests, not pages.
    assert len([p for p in paths if p.startswith("/items/")]) == 8
    # Never requested: log-out, delete links (by address, by title), the excluded folder,
    # another origin, a static file, the login page.
    never = {"/logout", "/items/3/delete", "/wipe", "/private/keys", "/logo.png"}
    assert not never & set(App.requested), sorted(never & set(App.requested))
    assert not [p for p in App.requested if p.startswith("/login")]
    away = next(p for p in found.pages if p.url.endswith("/away"))
    assert away.status is None  # a redirect out of scope is recorded, not followed
    home = next(p for p in found.pages if p.url == url)
    assert (home.status, home.title, home.content_type) == (200, "Home", "text/html")
    # The page that never answered in time is an error; the walk went on and ended.
    assert any("/hang" in e for e in found.errors), found.errors
    assert found.stopped_by == "frontier exhausted"


def test_the_session_reaches_an_app_on_localhost() -> None:
    # Python's cookie rules never send a cookie of "localhost" to localhost by themselves.
    with serve(App) as url:
        found = walk(url.replace("127.0.0.1", "localhost"), time_s=20)
    home = next(p for p in found.pages if p.url.endswith("/"))
    assert (home.status, home.to_login, home.title) == (200, False, "Home")


def test_without_the_session_every_page_leads_to_the_login() -> None:
    with serve(App) as url:
        found = walk(url, cookies=False, time_s=20)
    assert [(p.status, p.to_login) for p in found.pages] == [(None, True)]


def test_a_new_kind_of_page_comes_before_more_instances_of_a_known_one() -> None:
    with serve(App) as url:
        found = walk(url, max_pages=5, concurrency=1, time_s=20)
    paths = [p.url.removeprefix(url[:-1]) for p in found.pages]
    assert len(paths) == 5 and found.stopped_by == "max-pages"
    # /about is linked after twenty items, but it is the first of its kind.
    assert "/about" in paths and "/away" in paths, paths


def test_instances_per_template_are_capped() -> None:
    with serve(App) as url:
        found = walk(url, per_template=3, time_s=20)
    items = [p for p in found.pages if p.template == "/items/{id}"]
    assert len(items) == 3


def test_the_walk_stops_at_its_time_budget() -> None:
    started = time.monotonic()
    with serve(App) as url:
        found = walk(url, time_s=0.5, concurrency=1)
    # The budget, plus at most one request in flight (its timeout is 1 s).
    assert time.monotonic() - started < 4
    assert found.stopped_by == "time-budget"


def test_links_are_read_from_broken_html() -> None:
    links, base, title = parse_links(
        "<svg><title>Cart icon</title></svg><title> A  &amp; B </title><base href='/sub/'>"
        "<svg><title>Menu</title></svg><a href='x'>X<a href=\"y\" title='T'>"
    )
    # The page's own title: not an icon's, not the sum of every <title>.
    assert title == "A & B" and base == "/sub/"
    assert ("x", "X") in links and ("y", "T") in links


def test_a_get_form_is_followed_with_its_defaults_and_a_post_or_login_form_is_not() -> None:
    links, _, _ = parse_links(
        """<form action="/search?old=1" method="get">
             <input name="q" value="lamp"><input type="checkbox" name="all" checked>
             <input type="checkbox" name="off"><select name="sort"><option>name</option>
             <option value="price" selected>Price</option></select>
             <textarea name="sql">select 1</textarea><button>Search</button></form>
           <form action="/items/1" method="post"><input name="x"><button>Save</button></form>
           <form action="/login"><input name="u"><input type="password" name="p"></form>
           <form><select name="o"><option>asc</option><option>desc</option></select></form>"""
    )
    assert links == [
        ("/search?q=lamp&all=on&sort=price&sql=select+1", "Search"),
        ("?o=asc", ""),
    ]


class Filters(QuietHandler):
    """A list whose filters combine (Django's admin): 36 combinations, one more parameter."""

    def do_GET(self) -> None:
        if self.path == "/":
            combos = "".join(
                f'<a href="/list?a={i}&b={j}">{i}/{j}</a>' for i in range(6) for j in range(6)
            )
            self.send_html(
                200, f'<title>Home</title>{combos}<a href="/list?c=1">C</a><a href="/zzz">Last</a>'
            )
        else:
            self.send_html(200, "<title>Page</title>")


def test_new_paths_and_new_parameters_come_before_more_combinations() -> None:
    with serve(Filters) as url:
        scope = Scope.build(url)
        first = asyncio.run(
            discover([url], scope, limits=DiscoveryLimits(max_pages=4, concurrency=1))
        )
        every = asyncio.run(discover([url], scope, limits=DiscoveryLimits(per_template=100)))
    paths = [p.url.removeprefix(url[:-1]) for p in first.pages]
    assert paths == ["/", "/list?a=0&b=0", "/zzz", "/list?c=1"], paths
    # One path gets 24 pages at most, whatever the combinations of its parameters.
    assert len([p for p in every.pages if "/list" in p.url]) == 24


def test_http_pages_zero_turns_the_walk_off(tmp_path: Path) -> None:
    from qaforge.commands.crawl import CrawlOptions, build_request
    from qaforge.config import Settings

    settings = Settings(home=tmp_path / "home")
    req = build_request("http://127.0.0.1:1/", CrawlOptions(http_pages=0), tmp_path, settings)
    assert req.limits.http_pages == 0
    every = build_request("http://127.0.0.1:1/", CrawlOptions(), tmp_path, settings)
    assert every.limits.http_pages == 400
