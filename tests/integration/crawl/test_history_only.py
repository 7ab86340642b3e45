"""A control only the crawl's own history put on a page is no step of a test.

On MLflow the home page's sidebar listed the pages of the experiment the crawl had opened
last (the app keeps it in localStorage): nine generated tests clicked "Datasets", "Judges",
... on a fresh home page, which has no such links, and failed on a healthy app."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.contracts.tasks import CrawlLimits
from qaforge.crawl.browser import BrowserSession, settle
from qaforge.crawl.explorer import Explorer
from qaforge.crawl.observe import take_snapshot, to_state
from qaforge.models import HISTORY_ONLY, LocatorStrategy, State, Target
from tests.fixtures.http import QuietHandler, serve

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html><head><title>Home</title></head><body>
<nav id="side"><a href="/experiments">Experiments</a></nav>
<main><h1>Welcome</h1><a href="/experiments/1">Demo</a></main>
<script>
const side = document.getElementById("side");
if (localStorage.getItem("last")) {
  side.insertAdjacentHTML("beforeend", '<a href="/datasets">Datasets</a>');
} else {
  side.insertAdjacentHTML("beforeend", '<a href="/experiments/1">Demo</a>');
}
</script></body></html>"""


class Handler(QuietHandler):
    def do_GET(self) -> None:
        self.send_html(200, PAGE)


async def revisited(settings: Settings, url: str) -> State:
    explorer = Explorer(settings, Target(url=url), CrawlLimits())
    session = BrowserSession(settings)
    await session.start()
    explorer._session = session
    try:
        ctx = await session.new_context(authenticated=False)
        await ctx.add_init_script("localStorage.setItem('last', '2')")
        page = await ctx.new_page()
        await page.goto(url)
        await settle(page)
        first = await take_snapshot(page)
        state = to_state(first, depth=0, http_status=200)
        state.reach_url = url
        await explorer._revisit(page, state, first)
        await ctx.close()
        return state
    finally:
        await session.close()


def test_a_control_missing_from_a_fresh_page_is_marked(tmp_path: Path) -> None:
    with serve(Handler) as url:
        state = asyncio.run(revisited(Settings(home=tmp_path / "home"), url))
    marked = {e.name for e in state.elements if HISTORY_ONLY in e.attributes}
    assert marked == {"Datasets"}, marked


def test_a_name_repeated_on_a_fresh_page_is_no_unique_locator(tmp_path: Path) -> None:
    with serve(Handler) as url:
        state = asyncio.run(revisited(Settings(home=tmp_path / "home"), url))
    [demo] = [e for e in state.elements if e.name == "Demo"]
    named = [
        loc for loc in demo.locators if loc.strategy in (LocatorStrategy.ROLE, LocatorStrategy.TEXT)
    ]
    assert {loc.strategy for loc in named} == {LocatorStrategy.ROLE, LocatorStrategy.TEXT}
    assert all(loc.count == 2 for loc in named), named
    assert demo.best_locator() not in named
