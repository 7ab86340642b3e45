"""A control that keeps its effect in the browser's storage does not colour later states.

Django's admin keeps its sidebar closed in localStorage once "Toggle navigation" is pressed. The
crawl pressed it, and every page it crawled afterwards in that context had no sidebar, so a
link in both the breadcrumb and the sidebar looked unique there; the generated tests open
those pages fresh, sidebar open, and failed on a strict-mode violation (2 elements).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.contracts.tasks import CrawlLimits
from qaforge.crawl.explorer import Explorer
from qaforge.models import AppModel, Target
from tests.fixtures.http import QuietHandler, serve

pytestmark = pytest.mark.browser

LINKS = {"/": '<a href="/a">Page A</a>', "/a": '<a href="/b">Page B</a>', "/b": ""}


def page(path: str) -> str:
    return f"""<!doctype html><html><head><title>{path}</title></head><body>
<nav aria-label="Breadcrumbs"><a href="/">Catalog</a></nav>
<button type="button" id="toggle" aria-label="Toggle navigation"
  onclick="localStorage.setItem('sidebar', localStorage.getItem('sidebar') === 'closed' ? 'open'
  : 'closed'); document.getElementById('side').hidden = localStorage.getItem('sidebar') ===
  'closed'">Toggle navigation</button>
<aside id="side"><h2>Browse</h2><a href="/">Catalog</a></aside>
<main><h1>Page {path}</h1>{LINKS[path]}</main>
<script>document.getElementById('side').hidden = localStorage.getItem('sidebar') === 'closed'
</script></body></html>"""


class Handler(QuietHandler):
    def do_GET(self) -> None:
        if self.path in LINKS:
            self.send_html(200, page(self.path))
        else:
            self.send_html(404, "<h1>No</h1>")


def test_pages_crawled_after_a_stored_toggle_are_seen_as_a_fresh_visit_sees_them(
    tmp_path: Path,
) -> None:
    limits = CrawlLimits(contexts=1, time_budget_s=90, max_states=30)
    with serve(Handler) as url:
        model: AppModel = asyncio.run(
            Explorer(Settings(home=tmp_path / "home"), Target(url=url), limits).run()
        )
    toggled = [t for t in model.transitions if t.action.label == "Toggle navigation"]
    assert toggled, "the toggle was never pressed"
    # /b is two links deep: crawled after the toggle on "/" in the same worker. It is still
    # seen with its sidebar, as a test opening it fresh sees it.
    # (A state reached by pressing the toggle on /b itself has no sidebar, rightly.)
    b = [s for s in model.states if s.url_template == "/b" and s.reach_url]
    assert b and all("Browse" in s.headings for s in b), [s.headings for s in b]
