"""The dashboard in Chromium: log in, start a run, watch it live, open the report, rate it."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import async_playwright, expect

from qaforge.config import Settings
from qaforge.serve.accounts import create_user, ensure_tenant
from qaforge.serve.security import Passwords, Role
from qaforge.store.database import Database
from tests.integration.serve.conftest import OWN, World

pytestmark = pytest.mark.browser


async def _user(world: World, name: str, role: Role) -> None:
    db = Database(f"sqlite:///{world.server.home / 'qaforge.db'}")
    try:
        tenant = await ensure_tenant(db, OWN)
        await create_user(db, tenant, name, "correct horse 42", role, passwords=Passwords.default())
    finally:
        await db.dispose()


async def test_a_maintainer_runs_the_demo_shop_from_the_dashboard(world: World) -> None:
    await _user(world, "alice", Role.MAINTAINER)
    base = world.server.url
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**Settings().launch_options())
        page = await browser.new_page(base_url=base)
        await page.goto("/")
        await expect(page).to_have_url(base + "/login")
        await page.get_by_label("User name").fill("alice")
        await page.get_by_label("Password").fill("wrong password")
        await page.get_by_role("button", name="Log in").click()
        await expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
        await page.get_by_label("User name").fill("alice")
        await page.get_by_label("Password").fill("correct horse 42")
        await page.get_by_role("button", name="Log in").click()
        await expect(page).to_have_url(base + "/")
        await expect(page.get_by_role("link", name=world.run[OWN])).to_be_visible()

        # A change with the session cookie but without the page's CSRF token is refused.
        refused = await page.request.post(
            base + "/api/v2/runs", data={"project_id": world.project[OWN]}
        )
        assert refused.status == 403

        await page.get_by_label("Project").select_option(str(world.project[OWN]))
        await page.get_by_label("Most tests").fill("3")
        await page.get_by_role("button", name="Start a run").click()
        await expect(page).to_have_url(re.compile(r"/runs/run-[0-9a-f]+$"))
        run_id = page.url.rsplit("/", 1)[1]
        # Live: the crawl's stage shows up while the run goes on.
        await expect(page.locator("#events")).to_contain_text("stage observe started")
        # At its end the page reloads with the run's figures and files.
        await expect(page.locator("#state")).to_have_text("COMPLETED", timeout=300_000)
        await expect(page.locator("#figures")).to_be_visible()

        await page.get_by_role("link", name="report.html").click()
        await expect(page).to_have_url(re.compile(rf"/api/v2/runs/{run_id}/artifacts/report.html"))
        await expect(page.locator("h1").first).to_be_visible()
        await page.go_back()

        await page.get_by_label("Rating (1 to 5)").fill("5")
        await page.get_by_label("Comment").fill("kept all of them")
        await page.locator("#feedback").get_by_role("button", name="Send").click()
        await expect(page.locator("#feedback-result")).to_have_text("Thank you: rating saved.")
        # Each test is listed with its outcome, and rated on its own.
        assert await page.locator("#tests tr[class^=outcome-]").count() >= 1
        first = page.locator("form.rate-test").first
        test_id = await first.get_attribute("data-test")
        await first.get_by_role("combobox").select_option("2")
        await first.get_by_role("button", name="Send").click()
        await expect(first.get_by_role("status")).to_have_text("saved")
        with world.server.client(world.key(Role.ADMIN)) as c:
            audit = c.get("/api/v2/audit", params={"limit": 50}).text
        assert test_id is not None and test_id in audit and "user:alice@" in audit

        # The project's trends: this run and the earlier one, charted and listed.
        await page.goto(f"/projects/{world.project[OWN]}")
        await expect(page.locator("#trend svg")).to_be_visible()
        await expect(page.locator("#trend-table tbody tr")).to_have_count(2)
        # Not an admin: no keys page.
        assert (await page.goto("/keys")).status == 403  # type: ignore[union-attr]
        await browser.close()


async def test_an_admin_creates_a_key_sees_it_once_and_revokes_it(world: World) -> None:
    await _user(world, "root", Role.ADMIN)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**Settings().launch_options())
        page = await browser.new_page(base_url=world.server.url)
        await page.goto("/login")
        await page.get_by_label("User name").fill("root")
        await page.get_by_label("Password").fill("correct horse 42")
        await page.get_by_role("button", name="Log in").click()
        await page.get_by_role("link", name="Keys").click()
        await page.get_by_label("Name").fill("deploy bot")
        await page.get_by_label("Role").select_option("agent")
        await page.get_by_role("button", name="Create key").click()
        status = page.get_by_role("status")
        await expect(status).to_contain_text("qf_")
        token = (await status.text_content() or "").rsplit(" ", 1)[1]
        with world.server.client(token) as c:
            assert c.get("/api/v2/whoami").json()["role"] == "agent"
        await page.reload()
        assert token not in await page.content()  # shown once
        key_id = token[3:15]
        await page.get_by_role("button", name=f"Revoke {key_id}").click()
        await expect(page.get_by_role("row", name=key_id)).to_contain_text("revoked")
        with world.server.client(token) as c:
            assert c.get("/api/v2/whoami").status_code == 401
        await browser.close()
