"""A data grid that fills itself after the page went quiet is read once its rows are there.

MLflow's runs grid (ag-grid) shows its column headers at once and its rows seconds later,
with no request in flight in between: the crawl read the page as quiet, saw 0 rows, and a run
dropped from the list went uncaught. A grid with headers and no data row is given a bounded
time to fill; one that stays empty (a list with nothing in it) is still observed.
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

HOME = """<!doctype html><html><head><title>Home</title></head><body>
<nav><a href="/runs">Runs</a> <a href="/empty">Archive</a></nav><main><h1>Home</h1></main>
</body></html>"""
# Headers at once, rows 1.5 s later from a timer: nothing is in flight while the rows wait.
RUNS = """<!doctype html><html><head><title>Runs</title></head><body>
<nav><a href="/">Home</a></nav><main><h1>Runs</h1>
<div role="grid" id="g"><div role="row"><div role="columnheader">Run name</div>
<div role="columnheader">Created</div></div></div></main>
<script>
setTimeout(() => {
  for (const name of ["bold-fox-1", "calm-owl-2", "keen-elk-3"]) {
    const row = document.createElement("div");
    row.setAttribute("role", "row");
    row.innerHTML = `<div role="gridcell">${name}</div><div role="gridcell">2026-12-01</div>`;
    document.getElementById("g").appendChild(row);
  }
}, 1500);
</script></body></html>"""
EMPTY = """<!doctype html><html><head><title>Archive</title></head><body>
<nav><a href="/">Home</a></nav><main><h1>Archive</h1>
<table><tr><th>Run name</th><th>Created</th></tr></table></main></body></html>"""


class Handler(QuietHandler):
    def do_GET(self) -> None:
        pages = {"/": HOME, "/runs": RUNS, "/empty": EMPTY}
        self.send_html(200 if self.path in pages else 404, pages.get(self.path, "<h1>No</h1>"))


def crawl(tmp_path: Path) -> AppModel:
    limits = CrawlLimits(contexts=1, time_budget_s=120)
    with serve(Handler) as url:
        return asyncio.run(
            Explorer(Settings(home=tmp_path / "home"), Target(url=url), limits).run()
        )


def test_rows_that_arrive_late_are_read_and_an_empty_grid_is_still_a_state(
    tmp_path: Path,
) -> None:
    model = crawl(tmp_path)
    by_heading = {h: s for s in model.states for h in s.headings}
    runs = by_heading["Runs"]
    assert runs.rows_from == "table" and runs.row_count == 3, runs
    assert [r[0] for r in runs.rows] == ["bold-fox-1", "calm-owl-2", "keen-elk-3"]
    archive = by_heading["Archive"]
    assert archive.row_count == 0
    assert model.crawl_stats.stopped_by == "frontier exhausted"
