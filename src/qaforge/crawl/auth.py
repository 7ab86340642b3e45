"""Log in through a login form the crawler finds by itself; credentials stay out of every file."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any

from playwright.async_api import BrowserContext, Page

from qaforge.crawl.browser import settle
from qaforge.crawl.urltemplate import normalize_url


class LoginFailed(Exception):
    """The login form did not accept the credentials (or could not be found)."""


def resolve_ref(ref: str | None) -> str | None:
    """`env:NAME` → the variable's value; anything else is returned as is."""
    if ref is None:
        return None
    if ref.startswith("env:"):
        return os.environ.get(ref[4:])
    return ref


@dataclass(frozen=True)
class Credentials:
    """Resolved at use time, never serialised (no pydantic model, no repr of the secret)."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=***)"


_FIND_FIELDS = """
() => {
  const vis = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const pw = Array.from(document.querySelectorAll('input[type=password]')).find(vis);
  if (!pw) return null;
  const scope = pw.form || document;
  const inputs = Array.from(scope.querySelectorAll(
    'input[type=text], input[type=email], input:not([type]), input[autocomplete=username]'
  )).filter(vis);
  const user = inputs.find((i) => /user|login|email|name/i.test(
    (i.name || '') + ' ' + (i.id || '') + ' ' + (i.autocomplete || ''))) || inputs[0] || null;
  const submit = scope.querySelector('button[type=submit], input[type=submit], button:not([type])');
  const mark = (el, v) => { if (el) el.setAttribute('data-qaforge-login', v); };
  mark(pw, 'password'); mark(user, 'username'); mark(submit, 'submit');
  return { user: !!user, submit: !!submit };
}
"""


async def login(page: Page, login_url: str, creds: Credentials, timeout_ms: int) -> None:
    """Fill the login form at `login_url` and check that it let us in."""
    await page.goto(login_url, wait_until="domcontentloaded", timeout=timeout_ms)
    found: dict[str, Any] | None = await page.evaluate(_FIND_FIELDS)
    if not found:
        raise LoginFailed(f"no password field on {login_url}: is --login-url the login page?")
    if found["user"]:
        await page.fill("[data-qaforge-login=username]", creds.username)
    await page.fill("[data-qaforge-login=password]", creds.password)
    if found["submit"]:
        await page.click("[data-qaforge-login=submit]", no_wait_after=True)
    else:
        await page.press("[data-qaforge-login=password]", "Enter")
    with contextlib.suppress(Exception):
        await page.wait_for_load_state("domcontentloaded", timeout=timeout_ms)
    await settle(page)
    if await still_on_login(page, login_url):
        raise LoginFailed(
            f"login at {login_url} failed: the form is still shown after submitting "
            "(check the username and password)"
        )


async def still_on_login(page: Page, login_url: str) -> bool:
    """Whether the page is (back) on the login form: a visible password field at the login URL."""
    same_page = normalize_url(page.url).split("?")[0] == normalize_url(login_url).split("?")[0]
    has_password = await page.locator("input[type=password]:visible").count() > 0
    return has_password and (same_page or "login" in page.url.lower())


async def login_state(
    ctx: BrowserContext, login_url: str, creds: Credentials, timeout_ms: int
) -> Any:
    """Log in once in `ctx` and return its storage state (cookies) for the other contexts."""
    state, _landing = await login_landing(ctx, login_url, creds, timeout_ms)
    return state


async def login_landing(
    ctx: BrowserContext, login_url: str, creds: Credentials, timeout_ms: int
) -> tuple[Any, str]:
    """Log in once in `ctx`: its storage state and the URL the login led to."""
    page = await ctx.new_page()
    try:
        await login(page, login_url, creds, timeout_ms)
        return await ctx.storage_state(), page.url
    finally:
        await page.close()
