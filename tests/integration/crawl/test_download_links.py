"""A link that starts a download (a zip, a `Content-Disposition: attachment`) is no page and
no crawl error: the crawl notes it as a download, keeps the page that links to it, and goes on.

The hostile site's `/download` links to a small zip (`/download/suite.zip`, as qaforge's own
dashboard offers a generated suite) and to a 5 MB attachment; Playwright's `page.goto` on
either raises "Download is starting". With the HTTP walk on, the walk meets the attachment
first (its body is not read, and it is no page to check); the zip, a static file the walk
never fetches, is met by the browser."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.contracts.tasks import CrawlLimits
from qaforge.crawl.explorer import Explorer
from qaforge.crawl.urltemplate import normalize_url
from qaforge.models import Target
from tests.fixtures.hostile_site import HostileSite, serve

ZIP, REPORT = "/download/suite.zip", "/download/report.bin"


@pytest.fixture(scope="module")
def site() -> Iterator[HostileSite]:
    yield from serve()


@pytest.mark.browser
@pytest.mark.parametrize("http_pages", [0, 400], ids=["browser-only", "with-http-walk"])
def test_a_download_link_is_no_state_and_no_crawl_error(
    site: HostileSite, tmp_path: Path, http_pages: int
) -> None:
    limits = CrawlLimits(contexts=1, time_budget_s=60, max_states=10, http_pages=http_pages)
    before = site.hits
    explorer = Explorer(
        Settings(home=tmp_path / "home"), Target(url=site.url + "/download"), limits
    )
    model = asyncio.run(explorer.run())
    hits = site.hits - before
    stats = model.crawl_stats

    assert stats.errors == [], stats.errors
    assert stats.stopped_by == "frontier exhausted", stats.stopped_by
    # The page with the links is crawled, with its links and its button.
    page = next((s for s in model.states if s.url == site.url + "/download"), None)
    assert page is not None, [s.url for s in model.states]
    names = {e.name for e in page.elements}
    assert {"Download the suite", "Download the report", "Export"} <= names, names
    # No download became a state, nor the target of a transition.
    assert not [s.url for s in model.states if "/download/" in s.url]
    assert not [t.target_url for t in model.transitions if "/download/" in (t.target_url or "")]
    # Each is noted as what it is.
    zip_url, report_url = normalize_url(site.url + ZIP), normalize_url(site.url + REPORT)
    assert {zip_url, report_url} <= explorer.downloads, explorer.downloads
    # The browser followed the zip's link (the walk never fetches a static file): the crawl
    # met the download and went on, rather than leaving the link alone.
    assert hits[ZIP] >= 1, dict(hits)
    if http_pages:
        # The walk met the attachment: no page of the app, so no page check is written for it.
        assert not [p.url for p in model.pages if "/download/" in p.url]
        assert any(p.url == site.url + "/download" for p in model.pages), model.pages
