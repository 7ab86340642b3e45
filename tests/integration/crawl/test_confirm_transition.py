"""An action that led to a known state is done again from a fresh start before a test is
built on it.

On MLflow the crawl's context had the sidebar collapsed by an earlier click (the app keeps it
in localStorage), so "Toggle sidebar" opened it and showed "MLflow Assistant"; the generated
test, starting from a fresh context, closed it and failed on a healthy app.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.contracts.tasks import CrawlLimits
from qaforge.crawl.browser import BrowserSession, settle
from qaforge.crawl.explorer import Explorer
from qaforge.crawl.observe import take_snapshot, to_state
from qaforge.models import Action, ActionKind, Outcome, State, Target, Transition
from tests.fixtures.http import QuietHandler, serve

pytestmark = pytest.mark.browser

# The sidebar remembers whether it is open; "Details" always opens the same panel.
PAGE = """<!doctype html><html><head><title>Runs</title></head><body>
<aside id="side"></aside><main><h1>Runs</h1>
<button id="toggle">Toggle sidebar</button> <button id="details">Details</button>
<section id="panel"></section></main>
<script>
function draw() {
  const open = localStorage.getItem("sidebar") !== "closed";
  document.getElementById("side").innerHTML = open ? "<button>Assistant</button>" : "";
}
document.getElementById("toggle").onclick = () => {
  const open = localStorage.getItem("sidebar") !== "closed";
  localStorage.setItem("sidebar", open ? "closed" : "open");
  draw();
};
document.getElementById("details").onclick = () => {
  document.getElementById("panel").innerHTML = "<h2>Run details</h2><p>Six metrics</p>";
};
draw();
</script></body></html>"""


class Handler(QuietHandler):
    def do_GET(self) -> None:
        self.send_html(200, PAGE)


async def crawl_view(session: BrowserSession, url: str, press: str) -> tuple[State, State]:
    """The page as the crawl's own context saw it (sidebar closed by an earlier click), and
    the page after pressing `press` there."""
    ctx = await session.new_context(authenticated=False)
    await ctx.add_init_script("localStorage.setItem('sidebar', 'closed')")
    page = await ctx.new_page()
    await page.goto(url)
    await settle(page)
    first = await take_snapshot(page)
    await page.get_by_role("button", name=press).click()
    await settle(page)
    then = await take_snapshot(page)
    await ctx.close()
    before = to_state(first, depth=0, http_status=200)
    after = to_state(then, depth=1, http_status=200)
    before.stable_texts, after.stable_texts = first.texts, then.texts
    before.reach_url = url
    return before, after


async def confirmed(settings: Settings, url: str, press: str) -> bool | None:
    explorer = Explorer(settings, Target(url=url), CrawlLimits())
    session = BrowserSession(settings)
    await session.start()
    explorer._session = session
    try:
        source, target = await crawl_view(session, url, press)
        assert any(t for t in target.stable_texts if t not in source.stable_texts)
        button = next(e for e in source.elements if e.name == press)
        action = Action(kind=ActionKind.CLICK, element_id=button.id, label=press)
        transition = Transition(
            id="t1", source=source.id, action=action, outcome=Outcome.DOM_CHANGED
        )
        explorer.rec.states = {source.id: source, target.id: target}
        await explorer._confirm(source, transition, target)
        return transition.reproduced
    finally:
        await session.close()


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


def test_a_toggle_whose_effect_came_from_the_crawls_history_is_not_reproduced(
    settings: Settings,
) -> None:
    with serve(Handler) as url:
        assert asyncio.run(confirmed(settings, url, "Toggle sidebar")) is False


def test_an_action_that_does_the_same_from_a_fresh_start_is_reproduced(
    settings: Settings,
) -> None:
    with serve(Handler) as url:
        assert asyncio.run(confirmed(settings, url, "Details")) is True
