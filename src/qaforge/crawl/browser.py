"""The browser: one Chromium, contexts that share a login, restart when it crashes."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Route,
    async_playwright,
)
from playwright.async_api import (
    Error as PlaywrightError,
)

from qaforge.config import Settings

HERE = Path(__file__).parent
SETTLE_JS = (HERE / "settle.js").read_text(encoding="utf-8")
SNAPSHOT_JS = (HERE / "snapshot.js").read_text(encoding="utf-8")
_BLOCKED = {"image", "font", "media"}


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
            self._pw = await async_playwright().start()
        self.browser = await self._pw.chromium.launch(**self.settings.launch_options())

    async def restart(self) -> None:
        """Relaunch after a crash (once per crash, whoever notices first)."""
        async with self._lock:
            if self.browser is not None and self.browser.is_connected():
                return
            self.restarts += 1
            try:
                if self.browser is not None:
                    await self.browser.close()
            except PlaywrightError:
                pass
            await self.start()

    async def new_context(self, authenticated: bool = True) -> BrowserContext:
        """A fresh context with the crawl's auth, blocked media and the settle hook."""
        if self.browser is None or not self.browser.is_connected():
            await self.restart()
        assert self.browser is not None
        kwargs: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
        if self.http_credentials:
            kwargs["http_credentials"] = self.http_credentials
        if authenticated and self.storage_state is not None:
            kwargs["storage_state"] = self.storage_state
        ctx = await self.browser.new_context(**kwargs)
        ctx.set_default_timeout(self.timeout_ms)
        ctx.set_default_navigation_timeout(self.timeout_ms)
        await ctx.add_init_script(SETTLE_JS)
        await ctx.route("**/*", _block_media)
        return ctx

    async def close(self) -> None:
        """Close the browser and Playwright (idempotent, never raises)."""
        try:
            if self.browser is not None:
                await self.browser.close()
        except PlaywrightError:
            pass
        self.browser = None
        if self._pw is not None:
            with contextlib.suppress(Exception):
                await self._pw.stop()
            self._pw = None


async def _block_media(route: Route) -> None:
    if route.request.resource_type in _BLOCKED:
        await route.abort()
    else:
        await route.continue_()


async def settle(page: Page, quiet_ms: int = 120, max_ms: int = 2500) -> None:
    """Wait until no fetch/XHR is in flight and the DOM has been quiet for `quiet_ms`."""
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
        # A page that never settles (a ticking clock, a poll) is still observable.
