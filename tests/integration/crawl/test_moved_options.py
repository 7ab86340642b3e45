"""A select whose options a script moved elsewhere is left at its default, not waited on.

Django's two-list permission picker (filter_horizontal) moves every option of
`<select name="permissions" multiple>` into a list of its own on load; the select that is sent
stays visible and empty. The crawl's "valid" try chose a value for it anyway, waited out
select_option's time-out, and the submission ended as a crawl error on a healthy django-admin.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.contracts.tasks import CrawlLimits
from qaforge.crawl.explorer import Explorer
from qaforge.generate.scenarios import derive_scenarios
from qaforge.models import ActionKind, AppModel, ScenarioKind, StepKind, Target
from tests.fixtures.http import QuietHandler, serve

pytestmark = pytest.mark.browser

FORM = """<!doctype html><html><head><title>Add group</title></head><body>
<h1>Add group</h1>
<form method="post" action="/add">
  <label for="name">Name</label> <input id="name" name="name" required>
  <label for="perms">Chosen permissions</label>
  <select id="perms" name="permissions" multiple size="4">
    <option value="1">Can add book</option><option value="2">Can change book</option>
  </select>
  <label for="perms_from">Available permissions</label>
  <select id="perms_from" multiple size="4"></select>
  <button type="submit">Save</button>
</form>
<script>
  // What Django's SelectFilter does on load: the options move to the "available" list.
  const to = document.getElementById("perms"), from = document.getElementById("perms_from");
  for (const o of Array.from(to.options)) from.appendChild(o);
</script></body></html>"""


class Handler(QuietHandler):
    def do_GET(self) -> None:
        if self.path == "/":
            self.send_html(200, FORM)
        elif self.path == "/done":
            self.send_html(200, "<h1>Group added</h1><a href='/'>Add another</a>")
        else:
            self.send_html(404, "<h1>No</h1>")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(303)
        self.send_header("Location", "/done")
        self.end_headers()


def test_a_select_the_page_emptied_keeps_its_default_and_the_form_is_sent(tmp_path: Path) -> None:
    limits = CrawlLimits(contexts=1, time_budget_s=60, max_states=10, http_pages=0)
    with serve(Handler) as url:
        model: AppModel = asyncio.run(
            Explorer(Settings(home=tmp_path / "home"), Target(url=url), limits).run()
        )
    assert not [e for e in model.crawl_stats.errors if "select_option" in e], (
        model.crawl_stats.errors
    )
    sent = [
        t
        for t in model.transitions
        if t.action.kind == ActionKind.FILL_SUBMIT and t.action.variant == "valid"
    ]
    assert sent, [t.action.label for t in model.transitions]
    # The transition records what was sent: the name, not the value the list did not offer.
    assert all("permissions" not in t.action.values for t in sent), [t.action.values for t in sent]
    assert any(t.target_url and t.target_url.endswith("/done") for t in sent)
    valid = [s for s in derive_scenarios(model) if s.kind == ScenarioKind.FORM_VALID]
    assert valid and not any(st.kind == StepKind.SELECT for sc in valid for st in sc.steps), [
        st for sc in valid for st in sc.steps
    ]
