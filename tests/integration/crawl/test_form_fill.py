"""Filling a form the crawl found sets the controls a user sees, never a hidden copy."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qaforge.config import Settings
from qaforge.crawl.browser import BrowserSession
from qaforge.crawl.forms import fill_form
from qaforge.models import Form, FormField

pytestmark = pytest.mark.browser

# Like a table app's filter form: a hidden template row precedes the visible controls.
PAGE = """<form action="/t" method="get">
  <div style="display:none"><select name="col"><option value="">-</option>
    <option value="id">id</option></select><input name="q"></div>
  <select name="col"><option value="">-</option><option value="id">id</option>
    <option value="name">name</option></select>
  <input name="q">
  <input type="checkbox" name="desc" style="display:none">
  <button type="submit">Apply</button>
</form>"""


def test_hidden_copies_are_skipped_and_the_visible_controls_set(tmp_path: Path) -> None:
    form = Form(
        id="f",
        action="/t",
        fields=[
            FormField(name="col", type="select", tag="select"),
            FormField(name="q"),
            FormField(name="desc", type="checkbox"),
        ],
    )

    async def go() -> tuple[list[str], list[str], bool]:
        session = BrowserSession(Settings(home=tmp_path / "home"))
        await session.start()
        try:
            ctx = await session.new_context(authenticated=False)
            page = await ctx.new_page()
            await page.set_content(PAGE)
            # Acting on a hidden control raises (it waits for the control to show, then times
            # out), so getting past this line is itself the check that none was tried.
            await fill_form(page, form, {"col": "name", "q": "ada", "desc": "on"}, "u1")
            selects = await page.locator("select[name=col]").evaluate_all(
                "els => els.map(e => e.value)"
            )
            inputs = await page.locator("input[name=q]").evaluate_all(
                "els => els.map(e => e.value)"
            )
            desc = await page.locator("input[name=desc]").is_checked()
            return selects, inputs, desc
        finally:
            await session.close()

    selects, inputs, desc_checked = asyncio.run(go())
    assert selects == ["", "name"] and inputs == ["", "ada"]
    assert not desc_checked  # hidden from the user: its default stands
