"""A control the page will not let anyone press (covered by another element, as TiddlyWiki's
"import" button is by its file input's wrapper) is a skipped action with the reason, not a
crawl error; the crawl goes on and the control next to it is explored."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.contracts.tasks import CrawlLimits
from qaforge.crawl.explorer import Explorer
from qaforge.models import AppModel, Outcome, Target
from tests.fixtures.http import QuietHandler, serve

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html><head><title>Tools</title></head><body>
<h1>Tools</h1>
<div style="position:relative; width:200px; height:40px">
  <button id="import" type="button" style="width:200px; height:40px">Import</button>
  <!-- A transparent layer over the button takes every click. -->
  <div style="position:absolute; inset:0; z-index:2"></div>
</div>
<button id="more" type="button" onclick="document.getElementById('out').textContent =
  'More tools shown'">More</button>
<p id="out"></p>
</body></html>"""


class Handler(QuietHandler):
    def do_GET(self) -> None:
        if self.path == "/":
            self.send_html(200, PAGE)
        else:
            self.send_html(404, "<h1>No</h1>")


def test_a_covered_control_is_skipped_with_its_reason_and_no_error(tmp_path: Path) -> None:
    limits = CrawlLimits(contexts=1, time_budget_s=60, max_states=10, http_pages=0)
    with serve(Handler) as url:
        model: AppModel = asyncio.run(
            Explorer(Settings(home=tmp_path / "home"), Target(url=url), limits).run()
        )
    stats = model.crawl_stats
    assert stats.errors == [], stats.errors
    assert any("'Import'" in s and "covered by another element" in s for s in stats.skipped), (
        stats.skipped
    )
    pressed = {t.action.label: t.outcome for t in model.transitions}
    assert pressed.get("More") == Outcome.DOM_CHANGED, pressed
    assert "Import" not in pressed
