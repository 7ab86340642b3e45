"""The crawl of the demo shop, asserted on the model (one real-browser crawl per session)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import async_playwright

from qaforge.config import Settings
from qaforge.crawl.observe import resolve
from qaforge.demoapp.launcher import DemoApp
from qaforge.models import ActionKind, AppModel, Outcome

pytestmark = pytest.mark.browser

EXPECTED_TEMPLATES = {
    "/",
    "/catalogue",
    "/items/{id}",
    "/cart",
    "/checkout",
    "/contact",
    "/live",
    "/admin",
    "/admin/products",
    "/deals",
    "/reviews",
    "/about",
}


def test_every_template_is_found(demo_model: AppModel) -> None:
    templates = set(demo_model.templates())
    assert templates >= EXPECTED_TEMPLATES
    assert demo_model.crawl_stats.templates == len(templates)


def test_item_pages_fold_into_one_template(demo_model: AppModel) -> None:
    items = demo_model.templates()["/items/{id}"]
    assert 1 <= len(items) <= 3
    assert not any(t.startswith("/items/") and t != "/items/{id}" for t in demo_model.templates())


def test_client_rendered_states_tabs_dialog_and_load_more(demo_model: AppModel) -> None:
    live = demo_model.templates()["/live"]
    headings = [set(s.headings) for s in live]
    assert any("Specifications" in h for h in headings)  # the Specs tab
    assert any("Customer reviews" in h for h in headings)  # the Reviews tab
    assert any("Product details" in h for h in headings)  # the dialog
    load_more = [
        t
        for t in demo_model.transitions
        if t.action.label == "Load more" and t.outcome == Outcome.DOM_CHANGED
    ]
    assert load_more, "load more should change the DOM"
    # Client-side states are reached by replaying their path, not by a URL.
    assert any(s.reach_url is None and s.reach_path for s in live)


def test_admin_is_behind_login(demo_model: AppModel, demo_app: DemoApp) -> None:
    import httpx

    admin = demo_model.templates()["/admin"][0]
    assert admin.headings[0] == "Admin dashboard"
    assert admin.requires_login
    assert all(s.requires_login for s in demo_model.templates()["/admin/products"])
    assert not any(s.requires_login for s in demo_model.templates()["/catalogue"])
    assert httpx.get(demo_app.url + "/admin").status_code == 303


def test_the_http_walk_went_behind_the_login_with_the_browsers_cookies(
    demo_model: AppModel,
) -> None:
    pages = {urlsplit(p.url).path: p for p in demo_model.pages}
    # /admin sends a visitor to the login (see above): the walk had the browser's session.
    assert (pages["/admin"].status, pages["/admin"].to_login) == (200, False)
    assert pages["/admin/products"].status == 200
    assert "/logout" not in pages
    assert demo_model.crawl_stats.http_pages == len(demo_model.pages) >= 10
    assert demo_model.crawl_stats.http_templates >= len(EXPECTED_TEMPLATES) - 2


def test_logout_was_never_pressed(demo_model: AppModel) -> None:
    clicked = {
        (t.action.label or "").lower()
        for t in demo_model.transitions
        if t.action.kind == ActionKind.CLICK
    }
    assert "log out" not in clicked
    assert not any("/logout" in (t.target_url or "") for t in demo_model.transitions)
    # The session survived the whole crawl: the admin area was reachable from deep states.
    assert any(s.url_template == "/admin/products" for s in demo_model.states)


def test_broken_link_and_console_error_are_findings(demo_model: AppModel) -> None:
    kinds = {(f.kind, f.where.rsplit("/", 1)[-1]) for f in demo_model.findings}
    assert ("broken-link", "about") in kinds
    assert ("console-error", "reviews") in kinds
    reviews = demo_model.templates()["/reviews"][0]
    assert any("reviews widget failed to load" in e for e in reviews.console_errors)


def test_forms_are_found_with_their_constraints(demo_model: AppModel) -> None:
    checkout = demo_model.templates()["/checkout"][0].forms[0]
    fields = {f.name: f for f in checkout.fields}
    assert fields["email"].type == "email" and fields["email"].required
    assert fields["quantity"].min == "1" and fields["quantity"].max == "10"
    assert fields["country"].options[1:] == ["Germany", "France", "Spain", "United Kingdom"]
    assert fields["shipping"].options == ["standard", "express"]
    assert fields["phone"].pattern
    submits = {
        t.action.variant: t for t in demo_model.transitions if t.action.form_id == checkout.id
    }
    assert submits["valid"].outcome == Outcome.NAVIGATED
    assert submits["empty"].outcome == Outcome.NO_CHANGE
    assert "email" in submits["empty"].invalid_fields


def test_stable_texts_exclude_what_changes_between_visits(demo_model: AppModel) -> None:
    deals = demo_model.templates()["/deals"][0]
    assert "Deals" in deals.stable_texts
    assert not any("Deal of the day" in t for t in deals.stable_texts)


def test_credentials_are_only_references(demo_model_path: object) -> None:
    text = Path(str(demo_model_path)).read_text(encoding="utf-8")
    assert "env:QAFORGE_PASSWORD" in text
    assert '"password": "demo"' not in text and "Qa-" not in text.split('"values"')[0]


def test_every_kept_locator_matches_one_element(demo_model: AppModel, demo_app: DemoApp) -> None:
    """Re-verify unique locators of URL-reachable states in a fresh browser."""

    async def check() -> list[str]:
        problems: list[str] = []
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(**Settings().launch_options())
            page = await browser.new_page()
            # The crawl was logged in; so is this check.
            await page.goto(demo_app.url + "/login")
            await page.get_by_label("Username").fill("demo")
            await page.get_by_label("Password").fill("demo")
            await page.get_by_role("button", name="Log in").click()
            await page.wait_for_url(demo_app.url + "/")
            for state in demo_model.states:
                if not state.reach_url or state.requires_login or "/admin" in state.url:
                    continue
                if state.url_template in {"/cart", "/deals"}:
                    continue  # cart contents belong to the crawl's session
                await page.goto(state.reach_url)
                for el in state.elements:
                    for loc in el.locators:
                        if loc.count == 1:
                            n = await resolve(page, loc).count()
                            if n != 1:
                                problems.append(f"{state.url}: {loc} matched {n}")
            await browser.close()
        return problems

    assert asyncio.run(check()) == []
