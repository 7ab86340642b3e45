"""A switch that swaps the navigation for another mode's: its links are followed in that mode.

MLflow keeps "GenAI" or "Model training" in the browser: in the first, an experiment's link
opens its GenAI overview; after the switch, the same link opens the experiment's runs. The
crawl loaded a known URL again instead of following the link in the new mode, so no run list
was ever seen (and a run dropped from every list went uncaught). Here `/items/1` is an
overview by default and a table of runs after "Switch to runs", kept in localStorage.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.contracts.tasks import CrawlLimits
from qaforge.crawl.explorer import Explorer
from qaforge.models import AppModel, Target, Transition
from tests.fixtures.http import QuietHandler, serve

pytestmark = pytest.mark.browser

NAV = """<nav id="nav"></nav>
<script>
const runs = localStorage.getItem("mode") === "runs";
document.getElementById("nav").innerHTML = runs
  ? '<a href="/">Home</a> <a href="/items/1">Churn model</a> <a href="/registry">Registry</a>'
  : '<a href="/">Home</a> <a href="/items/1">Churn model</a> <a href="/prompts">Prompts</a>';
function switchMode(m) { localStorage.setItem("mode", m); location.reload(); }
</script>"""
HOME = f"""<!doctype html><html><head><title>Home</title></head><body>{NAV}
<main><h1>Home</h1>
<button onclick="switchMode(runs ? 'genai' : 'runs')">Switch mode</button></main>
</body></html>"""
ITEM = f"""<!doctype html><html><head><title>Item</title></head><body>{NAV}<main id="m"></main>
<script>
document.getElementById("m").innerHTML = runs
  ? '<h1>Churn model runs</h1><table><tr><th>Run</th></tr>'
    + '<tr><td>run-3</td></tr><tr><td>run-2</td></tr><tr><td>run-1</td></tr></table>'
  : '<h1>Churn model overview</h1><p>Traces appear here.</p>';
</script></body></html>"""
OTHER = f"""<!doctype html><html><head><title>Other</title></head><body>{NAV}
<main><h1>Other page</h1></main></body></html>"""


class Handler(QuietHandler):
    def do_GET(self) -> None:
        if self.path == "/":
            self.send_html(200, HOME)
        elif self.path.startswith("/items/"):
            self.send_html(200, ITEM)
        else:
            self.send_html(200, OTHER)


def crawl(tmp_path: Path) -> AppModel:
    limits = CrawlLimits(contexts=1, time_budget_s=120)
    with serve(Handler) as url:
        return asyncio.run(
            Explorer(Settings(home=tmp_path / "home"), Target(url=url), limits).run()
        )


def test_links_of_another_mode_are_followed_in_that_mode(tmp_path: Path) -> None:
    model = crawl(tmp_path)
    by_id = {s.id: s for s in model.states}
    runs = [s for s in model.states if "Churn model runs" in s.headings]
    assert runs, [s.headings for s in model.states]
    [state] = runs
    assert state.rows_from == "table" and state.row_count == 3, state
    # Its URL opens the overview in a fresh browser: the test reaches it by the switch.
    assert state.reach_url is None
    steps = [model_transition(model, tid) for tid in state.reach_path]
    assert [t.action.label for t in steps] == ["Switch mode", "Churn model"], steps
    assert by_id[steps[0].source].reach_url is not None
    # The overview, the page the URL gives a fresh browser, is a state of its own still.
    overview = [s for s in model.states if "Churn model overview" in s.headings]
    assert overview and overview[0].reach_url and overview[0].reach_url.endswith("/items/1")


def model_transition(model: AppModel, tid: str) -> Transition:
    return next(t for t in model.transitions if t.id == tid)
