"""The crawl looks at the app's settings but changes none of them.

TiddlyWiki's Control Panel has a "retain story ordering" button: pressed by the crawl, every
later visit reopened all the crawl had opened, and half the generated suite failed on a
healthy wiki (each toolbar button was there many times over)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.contracts.tasks import CrawlLimits
from qaforge.crawl.explorer import Explorer
from qaforge.crawl.scope import is_settings_page
from qaforge.models import Target
from tests.fixtures.http import QuietHandler, serve

pytestmark = pytest.mark.browser


def press(api: str, label: str) -> str:
    return f"<button onclick=\"fetch('{api}', {{method: 'POST'}})\">{label}</button>"


HOME = f"""<!doctype html><html><head><title>App</title></head><body>
<nav><h2>Settings</h2><a href="/settings">Preferences</a></nav>
<main><h1>Dashboard</h1>{press("/api/refresh", "Refresh")}</main></body></html>"""
SETTINGS = f"""<!doctype html><html><head><title>App</title></head><body>
<nav><a href="/">Dashboard</a></nav>
<main><h1>Settings</h1>{press("/api/retain", "Retain story ordering")}
<form method="post" action="/settings"><input name="site_title" value="App">
<button type="submit">Save</button></form><a href="/settings/about">About</a></main></body></html>"""


def handler(hits: list[str]) -> type[QuietHandler]:
    class App(QuietHandler):
        def do_GET(self) -> None:
            self.send_html(200, SETTINGS if self.path.startswith("/settings") else HOME)

        def do_POST(self) -> None:
            hits.append(self.path)
            self.send_html(200, "{}")

    return App


def test_nothing_is_pressed_on_the_settings_but_links_are_followed(tmp_path: Path) -> None:
    hits: list[str] = []
    limits = CrawlLimits(contexts=1, time_budget_s=120)
    with serve(handler(hits)) as url:
        model = asyncio.run(
            Explorer(Settings(home=tmp_path / "home"), Target(url=url), limits).run()
        )
    templates = {s.url_template for s in model.states}
    assert {"/settings", "/settings/about"} <= templates, templates
    assert "/api/retain" not in hits and "/settings" not in hits, hits
    # A menu group titled "Settings" does not make every page a settings page.
    assert "/api/refresh" in hits, hits


def test_a_settings_heading_is_recognised() -> None:
    assert is_settings_page(["My TiddlyWiki", "$:/ControlPanel", "GettingStarted"])
    assert is_settings_page(["Account settings"]) and is_settings_page(["Preferences"])
    assert not is_settings_page(["Site administration", "Change book", "Settlement report"])
