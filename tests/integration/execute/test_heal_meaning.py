"""A heal never swaps a control for its opposite: "Add query" gone, "Remove query" left.

A real page on a stdlib HTTP server, observed live, turned into a one-test suite by the real
generator; then the page changes, the suite runs, and the healer gets its chance.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.crawl.browser import BrowserSession, settle
from qaforge.crawl.observe import take_snapshot, to_state
from qaforge.execute.engine import combine, load_suite
from qaforge.execute.healer import Healer
from qaforge.execute.healing import THRESHOLD, similarity
from qaforge.execute.runner import run_pytest
from qaforge.generate.strategy import StrategyRegistry
from qaforge.generate.suite import write_suite
from qaforge.models import (
    AppModel,
    FailureClass,
    Scenario,
    ScenarioKind,
    State,
    Step,
    StepKind,
    Target,
    TestOutcome,
    TestResult,
)

pytestmark = pytest.mark.browser

# The query button of each version of the page: (accessible name, id).
BUTTONS = {
    "original": ("Add query", "add-query"),
    "opposite": ("Remove query", "remove-query"),
    "renamed": ("New query", "new-query"),
}


def page_html(version: str) -> str:
    name, ident = BUTTONS[version]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Queries</title></head>
<body><main>
<h1>Saved queries</h1>
<p id="status">Nothing changed yet.</p>
<button type="button" id="{ident}" data-testid="{ident}"
  onclick="document.getElementById('status').textContent = 'Changed.'">{name}</button>
<p><a href="/help">Help</a></p>
</main></body></html>"""


class Site:
    """One page at /queries whose button is `version` (switchable while serving)."""

    def __init__(self) -> None:
        self.version = "original"
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = page_html(site.version).encode() if self.path == "/queries" else b"ok"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture()
def site() -> Iterator[Site]:
    s = Site()
    thread = threading.Thread(target=s.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield s
    finally:
        s.server.shutdown()
        s.server.server_close()


async def observe(settings: Settings, url: str) -> State:
    session = BrowserSession(settings)
    await session.start()
    try:
        ctx = await session.new_context(authenticated=False)
        page = await ctx.new_page()
        await page.goto(url, wait_until="domcontentloaded")
        await settle(page)
        snap = await take_snapshot(page)
        await ctx.close()
    finally:
        await session.close()
    state = to_state(snap, depth=0, http_status=200)
    state.reach_url = "/queries"
    return state


def generate(site: Site, settings: Settings, suite_dir: Path) -> tuple[AppModel, Scenario]:
    """The suite qaforge would write for "click Add query, the page is still there"."""
    state = asyncio.run(observe(settings, site.url + "/queries"))
    button = next(e for e in state.elements if e.role == "button")
    heading = next(e for e in state.elements if e.role == "heading")
    assert button.name == "Add query"
    model = AppModel(target=Target(url=site.url, app="queries"), states=[state])
    scenario = Scenario(
        id="sc-add-query",
        kind=ScenarioKind.INTERACTION,
        title="add query keeps the queries page",
        given="the queries page",
        when="the user presses Add query",
        then="the queries page is still shown",
        steps=[
            Step(kind=StepKind.GOTO, url="/queries"),
            Step(
                kind=StepKind.CLICK,
                element_id=button.id,
                state_id=state.id,
                fingerprint=button.fingerprint,
            ),
            Step(kind=StepKind.EXPECT_VISIBLE, element_id=heading.id, state_id=state.id),
        ],
        source_states=[state.id],
        template="/queries",
        area="queries",
    )
    strategy = StrategyRegistry().get("balanced")
    write_suite(model, [scenario], suite_dir, strategy)
    return model, scenario


def run_and_heal(site: Site, settings: Settings, suite_dir: Path, out: Path) -> TestResult:
    suite = load_suite(suite_dir / "suite.json")
    model = AppModel.load(suite_dir / "model.json")

    async def go() -> TestResult:
        run = await run_pytest(suite_dir, site.url, out, settings, 0, None, 1)
        results, _ = combine(suite, [run], out)
        [res] = results
        assert res.outcome == TestOutcome.FAILED, res.message
        assert res.failure_class == FailureClass.BROKEN_LOCATOR, res.message
        await Healer(settings, suite, model, site.url, out).heal_all(results)
        return res

    return asyncio.run(go())


def test_the_opposite_control_is_refused_even_as_the_only_candidate(
    site: Site, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path / "home")
    suite_dir = tmp_path / "suite"
    _, scenario = generate(site, settings, suite_dir)
    before = (suite_dir / "test_queries.py").read_text()
    assert 'name="Add query"' in before

    site.version = "opposite"  # "Add query" is gone; "Remove query" sits where it was
    opposite = asyncio.run(observe(settings, site.url + "/queries"))
    remove = next(e for e in opposite.elements if e.role == "button")
    fingerprint = scenario.steps[1].fingerprint
    assert fingerprint is not None
    # By fingerprint alone it would be taken, and clicking it keeps the assertion true.
    assert similarity(fingerprint, remove.fingerprint) >= THRESHOLD

    res = run_and_heal(site, settings, suite_dir, tmp_path / "out")
    assert res.outcome == TestOutcome.FAILED
    assert res.failure_class == FailureClass.BROKEN_LOCATOR
    assert not any(h.accepted for h in res.heals)
    [heal] = res.heals
    assert "Add query" in heal.old_locator and heal.new_locator == ""
    assert "Remove query" in heal.reason and "add ≠ remove" in heal.reason
    assert (suite_dir / "test_queries.py").read_text() == before


def test_a_rename_that_keeps_the_meaning_is_still_healed(site: Site, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    suite_dir = tmp_path / "suite"
    generate(site, settings, suite_dir)
    site.version = "renamed"
    res = run_and_heal(site, settings, suite_dir, tmp_path / "out")
    assert res.outcome == TestOutcome.HEALED, [h.reason for h in res.heals]
    heal = next(h for h in res.heals if h.accepted)
    assert "Add query" in heal.old_locator and "New query" in heal.new_locator
    assert "New query" in (suite_dir / "test_queries.py").read_text()
