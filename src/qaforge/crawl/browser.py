"""The browser: one Chromium, contexts that share a login, restart when it crashes."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from playwright.async_api import (
    Browser,
    BrowserContext,
    Dialog,
    Page,
    Playwright,
    Route,
    async_playwright,
)
from playwright.async_api import (
    Error as PlaywrightError,
)

from qaforge.config import Settings
from qaforge.crawl.deadline import BrowserTimeout, quietly, within

HERE = Path(__file__).parent
SETTLE_JS = (HERE / "settle.js").read_text(encoding="utf-8")
SNAPSHOT_JS = (HERE / "snapshot.js").read_text(encoding="utf-8")
_ROWS_PENDING_JS = (HERE / "rows_pending.js").read_text(encoding="utf-8").strip()
_BLOCKED = {"image", "font", "media"}
# How long closing a page, a context or the browser may take before it is given up on (a
# renderer spinning in `while (true) {}` can ignore a polite close).
CLOSE_TIMEOUT_S = 5.0
# The window the crawl sees pages in; generated suites use the same one, so what the crawl saw
# laid out (a toolbar that folds into a menu when the window is smaller) is what a test sees.
VIEWPORT = {"width": 1280, "height": 900}


class BrowserCrashed(Exception):
    """The browser process went away."""


def is_crash(exc: BaseException) -> bool:
    """Whether a Playwright error means the browser (not just the page) is gone."""
    msg = str(exc).lower()
    return isinstance(exc, PlaywrightError) and any(
        s in msg
        for s in (
            "browser has been closed",
            "target page, context or browser has been closed",
            "browser closed",
            "connection closed",
            "target closed",
        )
    )


class BrowserSession:
    """Owns Playwright and the Chromium process; hands out contexts set up for the crawl."""

    def __init__(
        self,
        settings: Settings,
        http_credentials: dict[str, str] | None = None,
        storage_state: str | dict[str, Any] | None = None,
        timeout_ms: int = 15_000,
    ) -> None:
        self.settings = settings
        self.http_credentials = http_credentials
        self.storage_state: str | dict[str, Any] | None = storage_state
        self.timeout_ms = timeout_ms
        self._pw: Playwright | None = None
        self.browser: Browser | None = None
        self.restarts = 0
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Launch Chromium."""
        if self._pw is None:
            self._pw = await within(async_playwright().start(), 60, "starting Playwright")
        self.browser = await within(
            self._pw.chromium.launch(**self.settings.launch_options()), 60, "launching Chromium"
        )

    async def restart(self, force: bool = False) -> None:
        """Relaunch after a crash (once per crash, whoever notices first), or when `force`d
        because a page stopped answering and could not be closed."""
        async with self._lock:
            if not force and self.browser is not None and self.browser.is_connected():
                return
            self.restarts += 1
            if self.browser is not None:
                await quietly(self.browser.close(), CLOSE_TIMEOUT_S)
            await self.start()

    async def new_context(self, authenticated: bool = True) -> BrowserContext:
        """A fresh context with the crawl's auth, blocked media and the settle hook."""
        if self.browser is None or not self.browser.is_connected():
            await self.restart()
        assert self.browser is not None
        # Downloads are refused: a link to a 5 MB attachment is a finding, not a file to keep.
        kwargs: dict[str, Any] = {
            "viewport": dict(VIEWPORT),
            "accept_downloads": False,
        }
        if self.http_credentials:
            kwargs["http_credentials"] = self.http_credentials
        if authenticated and self.storage_state is not None:
            kwargs["storage_state"] = self.storage_state
        ctx = await self.browser.new_context(**kwargs)
        ctx.set_default_timeout(self.timeout_ms)
        ctx.set_default_navigation_timeout(self.timeout_ms)
        ctx.on("dialog", _answer_dialog)
        await ctx.add_init_script(SETTLE_JS)
        await ctx.route("**/*", _block_media)
        return ctx

    async def close(self) -> None:
        """Close the browser and Playwright (idempotent, never raises, never hangs)."""
        if self.browser is not None:
            await quietly(self.browser.close(), CLOSE_TIMEOUT_S)
        self.browser = None
        if self._pw is not None:
            await quietly(self._pw.stop(), CLOSE_TIMEOUT_S)
            self._pw = None


async def _answer_dialog(dialog: Dialog) -> None:
    """Let the crawl go on past dialogs: leave pages that ask, never confirm an action."""
    with contextlib.suppress(PlaywrightError):
        if dialog.type in ("beforeunload", "alert"):
            await dialog.accept()
        else:
            await dialog.dismiss()


async def _block_media(route: Route) -> None:
    if route.request.resource_type in _BLOCKED:
        await route.abort()
    else:
        await route.continue_()


# How long a page with an empty data grid is given to fill it. Bounded: a list that is really
# empty costs this once per visit, and the explorer stops waiting on a template once it saw
# the wait go unrewarded.
ROWS_WAIT_MS = 5000


async def settle(
    page: Page, quiet_ms: int = 120, max_ms: int = 2500, rows_ms: int = ROWS_WAIT_MS
) -> bool:
    """Wait until no fetch/XHR is in flight and the DOM has been quiet for `quiet_ms`, and a
    data grid that shows only its headers has had up to `rows_ms` to fill; whether the DOM
    got quiet (False: a live page, such as a ticking clock or a poll)."""
    # A page that never settles is still observable, so not settling is no error.
    try:
        quiet = await within(_settled(page, quiet_ms, max_ms), max_ms / 1000 + 2, "the page")
    except BrowserTimeout:
        return False
    if rows_ms > 0:
        await rows_arrived(page, rows_ms)
    return quiet


async def rows_arrived(page: Page, max_ms: int) -> bool:
    """Whether every visible data grid shows data rows, after waiting up to `max_ms` for an
    empty one to fill (then the page is settled again, since rows bring their own fetches)."""
    try:
        pending = await within(page.evaluate(_ROWS_PENDING_JS), 5, "the page")
        if not pending:
            return True
        await within(
            page.wait_for_function(f"() => !({_ROWS_PENDING_JS})()", timeout=max_ms, polling=100),
            max_ms / 1000 + 2,
            "the page",
        )
    except BrowserTimeout:
        return False
    except PlaywrightError as exc:
        if is_crash(exc):
            raise
        return False
    with contextlib.suppress(BrowserTimeout):
        await within(_settled(page, 120, 2500), 4.5, "the page")
    return True


async def _settled(page: Page, quiet_ms: int, max_ms: int) -> bool:
    try:
        await page.wait_for_function(
            """([quiet]) => { const q = window.__qaforge; if (!q) return true;
                return q.inflight === 0 && Date.now() - q.lastMutation >= quiet; }""",
            arg=[quiet_ms],
            timeout=max_ms,
            polling=50,
        )
    except PlaywrightError as exc:
        if is_crash(exc):
            raise
        return False
    return True
