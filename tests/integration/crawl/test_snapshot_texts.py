"""The texts a snapshot offers for assertions are texts a generated test can find.

MLflow's filter button reads "State: Active" on screen (two flex items, "State:" and
"Active"); the crawl recorded that text, the generated `get_by_text("State: Active")` found
nothing (Playwright reads textContent, "State:Active") and the test failed on a healthy app.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.crawl.browser import BrowserSession, settle
from qaforge.crawl.observe import row_count_of, take_snapshot
from tests.fixtures.http import QuietHandler, serve

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html><head><title>Runs</title>
<style>.pill { display: flex; gap: 4px } .shout { text-transform: uppercase }</style></head>
<body><main>
<h1>Runs</h1>
<p>Six matching runs</p>
<button class="pill"><span>State:</span><span>Active</span></button>
<p class="shout">Quiet words</p>
<ul><li>first line<br>second line</li><li>A plain item</li></ul>
<table><tr><th>Name</th></tr><tr><td>run-1</td></tr><tr><td><div>run</div><div>two</div></td></tr>
<tr><td>run-3</td></tr></table>
</main></body></html>"""


class Handler(QuietHandler):
    def do_GET(self) -> None:
        self.send_html(200, PAGE)


async def texts_and_findable(
    settings: Settings, url: str
) -> tuple[list[str], list[str], dict[str, int]]:
    session = BrowserSession(settings)
    await session.start()
    try:
        ctx = await session.new_context(authenticated=False)
        page = await ctx.new_page()
        await page.goto(url, wait_until="domcontentloaded")
        await settle(page)
        snap = await take_snapshot(page)
        cells = [c for row in snap.raw.get("rows", []) for c in row]
        counts = {t: await page.get_by_text(t, exact=True).count() for t in snap.texts + cells}
        await ctx.close()
    finally:
        await session.close()
    return snap.texts, cells, counts


def test_only_texts_playwright_can_find_are_offered(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    with serve(Handler) as url:
        texts, cells, counts = asyncio.run(texts_and_findable(settings, url))
    assert "Six matching runs" in texts and "A plain item" in texts
    assert "run-1" in cells and "run-3" in cells
    # Shown on screen, but not what get_by_text reads: never offered for an assertion.
    for shown in ("State: Active", "QUIET WORDS", "first line second line", "run two"):
        assert shown not in texts and shown not in cells
    missing = sorted(t for t, n in counts.items() if n == 0)
    assert missing == [], f"texts a test could not find: {missing}"


LONG_TABLE = """<!doctype html><html><head><title>Books</title></head><body>
<nav><table><tr><td>Home</td></tr><tr><td>Books</td></tr></table></nav>
<main><h1>Books</h1><table><tr><th>Title</th></tr>
{rows}<tr style="display: none"><td>hidden</td></tr></table></main></body></html>"""


class LongTableHandler(QuietHandler):
    def do_GET(self) -> None:
        rows = "".join(f"<tr><td>Book {i}</td></tr>" for i in range(1, 26))
        self.send_html(200, LONG_TABLE.replace("{rows}", rows))


async def rows_of(settings: Settings, url: str) -> tuple[int, int]:
    session = BrowserSession(settings)
    await session.start()
    try:
        ctx = await session.new_context(authenticated=False)
        page = await ctx.new_page()
        await page.goto(url, wait_until="domcontentloaded")
        await settle(page)
        snap = await take_snapshot(page)
        await ctx.close()
    finally:
        await session.close()
    return len(snap.raw.get("rows", [])), row_count_of(snap)


def test_the_row_count_covers_every_shown_row_of_the_data_table(tmp_path: Path) -> None:
    """Cell texts stop at 20 rows; the count the lists oracle asserts does not, and leaves
    out hidden rows and tables inside navigation."""
    with serve(LongTableHandler) as url:
        kept, count = asyncio.run(rows_of(Settings(home=tmp_path / "home"), url))
    assert kept == 20
    assert count == 25
