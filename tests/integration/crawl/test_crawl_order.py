"""A new kind of page is explored before the controls of a page already seen.

On MLflow the crawl spent its budget on sort headers and column pickers (alphabetically
before links) and never opened a run: the run page, its metrics and their faults went unseen.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.contracts.tasks import CrawlLimits
from qaforge.crawl.explorer import Explorer
from qaforge.models import Target
from tests.fixtures.http import QuietHandler, serve

pytestmark = pytest.mark.browser

SORTS = "".join(
    f'<button onclick="document.getElementById(\'o\').textContent=\'by {c}\'">Sort {c}</button>'
    for c in "ABCDEFGH"
)
HOME = f"""<!doctype html><html><head><title>Runs</title></head><body><main><h1>Runs</h1>
{SORTS}<p id="o">unsorted</p>
<table><tr><td><a href="/runs/1">Zebra run</a></td></tr></table></main></body></html>"""
RUN = """<!doctype html><html><head><title>Run</title></head><body><main><h1>Zebra run</h1>
<p>Metrics</p><a href="/">Runs</a></main></body></html>"""


class Handler(QuietHandler):
    def do_GET(self) -> None:
        self.send_html(200, RUN if self.path.startswith("/runs/") else HOME)


def test_a_link_to_a_new_kind_of_page_goes_before_the_controls(tmp_path: Path) -> None:
    limits = CrawlLimits(max_actions=3, contexts=1, time_budget_s=120)
    with serve(Handler) as url:
        model = asyncio.run(
            Explorer(Settings(home=tmp_path / "home"), Target(url=url), limits).run()
        )
    templates = {s.url_template for s in model.states}
    assert "/runs/{id}" in templates, templates
