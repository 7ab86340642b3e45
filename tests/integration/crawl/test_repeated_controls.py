"""A control on every page is clicked once before the crawl goes deeper, not once per page.

MLflow shows its assistant panel ("New Chat", "Close", ...) on every page; the crawl clicked it
on each kind of page, each click a new state, and reached its state cap before the run pages
three links deep. The same control (role and name) met on another kind of page now waits until
everything else is done.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.contracts.tasks import CrawlLimits
from qaforge.crawl.explorer import Explorer
from qaforge.models import ActionKind, AppModel, Target
from tests.fixtures.http import QuietHandler, serve

pytestmark = pytest.mark.browser

CHAIN = ["/", "/one", "/two", "/three", "/four"]


def page(path: str) -> str:
    title = path.strip("/") or "home"
    after = CHAIN.index(path) + 1
    link = f'<a href="{CHAIN[after]}">Next: {CHAIN[after]}</a>' if after < len(CHAIN) else ""
    return f"""<!doctype html><html><head><title>{title}</title></head><body>
<main><h1>Page {title}</h1><p>{link}</p></main>
<aside><button type="button" onclick="document.getElementById('panel').hidden = false">
Open assistant</button>
<div id="panel" hidden><h2>Assistant</h2><p>How can I help?</p>
<button type="button">Send</button></div></aside>
</body></html>"""


class Handler(QuietHandler):
    def do_GET(self) -> None:
        if self.path in CHAIN:
            self.send_html(200, page(self.path))
        else:
            self.send_html(404, "<h1>No</h1>")


def crawl(tmp_path: Path, max_states: int) -> AppModel:
    limits = CrawlLimits(contexts=1, time_budget_s=120, max_states=max_states)
    with serve(Handler) as url:
        return asyncio.run(
            Explorer(Settings(home=tmp_path / "home"), Target(url=url), limits).run()
        )


def test_a_control_on_every_page_does_not_use_up_the_states_before_deeper_pages(
    tmp_path: Path,
) -> None:
    model = crawl(tmp_path, max_states=6)
    paths = {s.url_template for s in model.states}
    # Breadth first with the panel clicked on each page: /, /one, / + panel, /two,
    # /one + panel, /three — and /four never. Now the panel waits after its first click.
    assert "/four" in paths, sorted(paths)
    by_id = {s.id: s for s in model.states}
    clicked_on = {
        by_id[t.source].url_template
        for t in model.transitions
        if t.action.kind == ActionKind.CLICK and t.action.label == "Open assistant"
    }
    assert clicked_on == {"/"}, clicked_on
    assert model.crawl_stats.stopped_by == "max-states"


def test_with_room_to_spare_the_repeated_control_is_still_clicked_everywhere(
    tmp_path: Path,
) -> None:
    model = crawl(tmp_path, max_states=40)
    by_id = {s.id: s for s in model.states}
    clicked_on = {
        by_id[t.source].url_template
        for t in model.transitions
        if t.action.kind == ActionKind.CLICK and t.action.label == "Open assistant"
    }
    assert clicked_on == set(CHAIN), clicked_on
    assert model.crawl_stats.stopped_by == "frontier exhausted"
