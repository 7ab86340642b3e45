"""The last look at each page, at the end of the crawl: texts the crawl's own later actions
changed are not stable.

MLflow's prompts page said "No prompts created" until the crawl pressed "Start Demo"; the test
asserting that heading failed on the healthy app. Here the empty list's heading goes once the
crawl has created an item through the form.
"""

from __future__ import annotations

import asyncio
import threading
from typing import ClassVar
from urllib.parse import parse_qs

import pytest

from qaforge.config import Settings
from qaforge.contracts.tasks import CrawlLimits
from qaforge.crawl.explorer import Explorer
from qaforge.crawl.urltemplate import url_template
from qaforge.models import Target
from tests.fixtures.http import QuietHandler, serve

pytestmark = pytest.mark.browser


class Shop(QuietHandler):
    items: ClassVar[list[str]] = []
    lock = threading.Lock()

    def do_GET(self) -> None:
        if self.path == "/":
            # A panel only a click shows (no URL of its own), with the same empty-list text.
            self.send_html(200, "<title>Home</title><h1>Home</h1>"
                           "<a href='/items'>Items</a> <a href='/new'>New item</a>"
                           "<button type=button onclick=\"document.getElementById('p')"
                           ".innerHTML='<h2>Your items</h2><p>No items yet</p>'\">"
                           "Show my items</button><div id=p></div>")
        elif self.path == "/items":
            with self.lock:
                listed = list(self.items)
            body = ("<ul>" + "".join(f"<li>{i}</li>" for i in listed) + "</ul>" if listed
                    else "<h2>No items yet</h2>")
            # A count that grows with the data: "at least" still holds, so it stays asserted.
            count = f"<p>{len(listed) + 2} entries</p>"
            self.send_html(200, f"<title>Items</title><h1>Items</h1>{count}{body}")
        elif self.path == "/new":
            self.send_html(200, "<title>New item</title><h1>New item</h1>"
                           "<form method=post action=/new><label>Name <input name=name "
                           "required></label><button>Create</button></form>")
        else:
            self.send_html(404, "<h1>Not found</h1>")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        name = parse_qs(self.rfile.read(length).decode()).get("name", ["?"])[0]
        with self.lock:
            self.items.append(name)
        self.send_response(303)
        self.send_header("Location", "/items")
        self.end_headers()


def test_a_text_the_crawl_itself_changed_later_is_not_stable() -> None:
    Shop.items = []
    with serve(Shop) as url:
        limits = CrawlLimits(time_budget_s=60, contexts=1)
        model = asyncio.run(Explorer(Settings(), Target(url=url), limits).run())
    assert Shop.items, "the crawl never submitted the form"
    lists = [s for s in model.states if url_template(s.url).endswith("/items")]
    empty = [s for s in lists if "No items yet" in s.visible_texts]
    assert empty, [s.visible_texts for s in lists]
    assert all("No items yet" not in s.stable_texts for s in empty)
    # What did not change stays: the page is still the list, headed "Items"; and a count the
    # crawl's own item made grow ("2 entries", now "3 entries") is still the counts oracle's
    # "at least 2 entries".
    assert all("Items" in s.stable_texts for s in empty)
    assert all("2 entries" in s.counts for s in empty), [(s.stable_texts, s.counts) for s in empty]
    # A state reached by a click is not loaded again, but the text found changed elsewhere
    # is data wherever it shows.
    panels = [s for s in model.states if "Your items" in s.visible_texts]
    assert panels and all(not s.reach_url for s in panels), [s.url for s in panels]
    assert all("Your items" in s.stable_texts for s in panels)
    assert all("No items yet" not in s.stable_texts for s in panels)
    assert model.crawl_stats.looked_again >= len(lists)
    assert model.crawl_stats.texts_changed >= 1
