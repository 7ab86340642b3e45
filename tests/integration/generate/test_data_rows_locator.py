"""The generated suites' `DATA_ROWS` counts the rows the crawl counted: visible ones.

Django's add forms keep hidden template rows among their inline rows; a test asserting the
crawl's fifth row with `nth(4)` landed on a hidden one and failed on a healthy app."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import expect

from qaforge.config import Settings
from qaforge.crawl.browser import BrowserSession
from qaforge.generate.emit_python import DATA_ROWS
from tests.fixtures.http import QuietHandler, serve

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html><head><title>Add author</title></head><body>
<nav><table><tr><td>Sidebar row</td></tr></table></nav>
<main><table>
<tr><th>Name</th></tr>
<tr><td>Ada</td></tr>
<tr style="display: none"><td>__prefix__ template</td></tr>
<tr><td>Grace</td></tr>
<tr hidden><td>another template</td></tr>
<tr><td>Linus</td></tr>
</table></main></body></html>"""


class Handler(QuietHandler):
    def do_GET(self) -> None:
        self.send_html(200, PAGE)


async def rows(settings: Settings, url: str) -> tuple[int, str]:
    session = BrowserSession(settings)
    await session.start()
    try:
        ctx = await session.new_context(authenticated=False)
        page = await ctx.new_page()
        await page.goto(url)
        data_rows = page.locator(DATA_ROWS)
        await expect(data_rows.nth(2)).to_be_visible()
        return await data_rows.count(), await data_rows.nth(1).inner_text()
    finally:
        await session.close()


def test_data_rows_are_the_visible_rows_of_the_content_table(tmp_path: Path) -> None:
    with serve(Handler) as url:
        count, second = asyncio.run(rows(Settings(home=tmp_path / "home"), url))
    assert (count, second) == (3, "Grace")
