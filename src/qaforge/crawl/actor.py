"""The crawl's actor: drives pages for the explorer. It loads and settles them, performs one
action under Playwright's time limits, watches what each page logs (script errors, the app's
own failing requests, network calls), and throws away a page or context that stops
answering, restarting the browser when even closing hangs.

It keeps no model of the app: what a state or transition is, the explorer's recorder decides.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import BrowserContext, Page, Response
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from qaforge.crawl.browser import (
    CLOSE_TIMEOUT_S,
    ROWS_WAIT_MS,
    BrowserSession,
    is_crash,
    rows_arrived,
    settle,
)
from qaforge.crawl.deadline import quietly
from qaforge.crawl.forms import fill_form, submit_form
from qaforge.crawl.observe import resolve
from qaforge.crawl.scope import is_own_server_error, server_error_text
from qaforge.crawl.urltemplate import url_template
from qaforge.models import Action, ActionKind, Form, NetworkCall, State

RESOURCE_FAILED = "Failed to load resource"
# The browser's own notice that a layout settled a frame late: no error of the app's code
# (MLflow logs it on a resize; Chromium documents it as benign).
BENIGN = "ResizeObserver loop"
ACTION_TIMEOUT_MS = 4000


class ControlRefused(PlaywrightError):
    """The page did not take an action on a control within the action time-out. A Playwright
    error still, so that whoever caught the time-out before (a revisit, a confirmation)
    catches this too."""


# How Playwright ends a navigation answered with a file to save (`Content-Disposition:
# attachment`, a zip) instead of a page: "Page.goto: Download is starting". The crawl's
# contexts refuse downloads (`accept_downloads=False`), so nothing is saved.
_DOWNLOAD_STARTING = "Download is starting"


class DownloadStarted(PlaywrightError):
    """A navigation to `url` was answered with a download, not a page. A Playwright error
    still, so that whoever caught the navigation's errors before (a revisit, a confirmation)
    catches this too."""

    def __init__(self, url: str) -> None:
        super().__init__(f"{url} is a download, not a page")
        self.url = url


def is_download(exc: BaseException) -> bool:
    """Whether a Playwright error is a navigation that started a download (nothing else)."""
    if isinstance(exc, DownloadStarted):
        return True
    if not isinstance(exc, PlaywrightError):
        return False
    first = str(exc).split("\n", 1)[0].strip()
    return first == _DOWNLOAD_STARTING or first.endswith(": " + _DOWNLOAD_STARTING)


async def navigate(page: Page, url: str) -> Response | None:
    """`page.goto(url)` up to DOMContentLoaded; `DownloadStarted` when `url` is a download."""
    try:
        return await page.goto(url, wait_until="domcontentloaded")
    except PlaywrightError as exc:
        if is_download(exc):
            raise DownloadStarted(url) from exc
        raise


# What Playwright's call log says held the action back, and how the crawl reports it.
_HELD_BACK = (
    ("intercepts pointer events", "covered by another element"),
    ("not visible", "not visible"),
    ("not enabled", "disabled"),
    ("not stable", "still moving"),
    ("outside of the viewport", "outside the page"),
)


def _why_refused(exc: PlaywrightTimeoutError) -> str:
    text = str(exc)
    for needle, why in _HELD_BACK:
        if needle in text:
            return why
    return "not found" if "resolved to" not in text else "not accepted"


@dataclass
class Observed:
    """What a page logged while it was loaded or acted on."""

    url: str
    status: int | None
    console: list[str]
    network: list[NetworkCall]
    failed: list[str]


@dataclass
class Actor:
    """Loads, settles and acts on the pages of one crawl (of the app at `origin`)."""

    origin: str
    # Page load + settle times of pages that settled: how long the app takes to be usable.
    ready_s: list[float] = field(default_factory=list)
    # Templates whose empty data grid stayed empty through a wait: not waited on again.
    rowless: set[str] = field(default_factory=set)

    # ------------------------------------------------------------------ watching

    def watch(self, page: Page) -> None:
        """Record what `page` logs from now on (read with `collect`, cleared with `reset`)."""
        buf: dict[str, list[Any]] = {"console": [], "network": [], "failed": []}
        page._qaforge_buf = buf  # type: ignore[attr-defined]

        def on_console(msg: Any) -> None:
            # A resource that failed to load is not a script error: the response handler
            # records it with its URL, as a finding of the crawl.
            if (
                msg.type == "error"
                and not msg.text.startswith(RESOURCE_FAILED)
                and BENIGN not in msg.text
            ):
                buf["console"].append(msg.text[:300])

        def on_pageerror(err: Any) -> None:
            if BENIGN not in str(err):
                buf["console"].append(f"uncaught: {str(err)[:300]}")

        def on_response(resp: Response) -> None:
            rt = resp.request.resource_type
            if resp.status >= 400 and rt not in {"document", "fetch", "xhr"}:
                buf["failed"].append(f"{rt} {resp.url} answered {resp.status}")
            if is_own_server_error(self.origin, rt, resp.url, resp.status):
                # The app's own API failing under its own page is the page's error, as a
                # generated test counts it (MLflow's metric charts: a 500, no script error).
                buf["console"].append(server_error_text(resp.request.method, resp.url, resp.status))
            if rt in {"document", "fetch", "xhr"}:
                buf["network"].append(
                    NetworkCall(
                        method=resp.request.method,
                        url=url_template(resp.url),
                        status=resp.status,
                        resource_type=rt,
                    )
                )

        def on_failed(req: Any) -> None:
            # Aborted is not broken: a download the crawl refused, a navigation that replaced
            # the page while a request was in flight.
            if "ERR_ABORTED" in str(req.failure or ""):
                return
            if req.resource_type in {"document", "fetch", "xhr", "script"}:
                buf["failed"].append(f"{req.method} {req.url} ({req.failure})")

        async def on_popup(popup: Page) -> None:
            # A window the app opened is not where the crawl is: close it, keep the page.
            await quietly(popup.close(run_before_unload=False), CLOSE_TIMEOUT_S)

        page.on("console", on_console)
        page.on("pageerror", on_pageerror)
        page.on("response", on_response)
        page.on("requestfailed", on_failed)
        page.on("popup", on_popup)

    @staticmethod
    def reset(page: Page) -> None:
        """Forget what `page` logged so far."""
        buf = page._qaforge_buf  # type: ignore[attr-defined]
        for v in buf.values():
            v.clear()

    @staticmethod
    def collect(page: Page, status: int | None) -> Observed:
        """What `page` logged since the last `reset`."""
        buf = page._qaforge_buf  # type: ignore[attr-defined]
        return Observed(
            url=page.url,
            status=status,
            console=list(dict.fromkeys(buf["console"])),
            network=list(buf["network"]),
            failed=list(buf["failed"]),
        )

    # ------------------------------------------------------------------ loading

    async def goto(self, page: Page, url: str) -> int | None:
        """Load `url`; its status."""
        return (await self.goto_live(page, url))[0]

    async def goto_live(self, page: Page, url: str) -> tuple[int | None, bool]:
        """Load `url`: its status, and whether the page is live (its DOM never settled).

        `DownloadStarted` when `url` answers with a file to save: the page stays where it was."""
        started = time.monotonic()
        resp = await navigate(page, url)
        live = not await self.settle(page)
        if not live:  # a live page's time is the settle cap, not the app's speed
            self.ready_s.append(time.monotonic() - started)
        return (resp.status if resp is not None else None), live

    async def settle(self, page: Page) -> bool:
        """Settle the page and give an empty data grid time to fill; whether the DOM got quiet."""
        quiet = await settle(page, rows_ms=0)
        template = url_template(page.url)
        if template not in self.rowless and not await rows_arrived(page, ROWS_WAIT_MS):
            self.rowless.add(template)
        return quiet

    # ------------------------------------------------------------------ acting

    async def perform(self, page: Page, source: State, action: Action, token: str) -> int | None:
        """Do `action` on the page showing `source`; the HTTP status of a document it loaded.

        A form is filled with `token` where it needs a unique value; a select whose live list
        lacks the planned value is left alone and dropped from `action.values` (what the
        transition records is what was sent)."""
        statuses: list[int] = []

        def on_doc(resp: Response) -> None:
            if resp.request.resource_type == "document" and resp.frame == page.main_frame:
                statuses.append(resp.status)

        page.on("response", on_doc)
        try:
            if action.kind == ActionKind.GOTO and action.url:
                await navigate(page, action.url)
            elif action.kind == ActionKind.FILL_SUBMIT:
                form = form_of(source, action.form_id)
                skipped = await fill_form(page, form, action.values, token)
                for name in skipped:
                    action.values.pop(name, None)
                submit_el = source.element(form.submit or "")
                submit_loc = submit_el.best_locator() if submit_el else None
                url_before = page.url
                await submit_form(page, form, resolve(page, submit_loc) if submit_loc else None)
                await wait_after(page, url_before)
            else:
                el = source.element(action.element_id or "")
                loc = el.best_locator() if el else None
                if el is None or loc is None:
                    raise PlaywrightError("element has no unique locator")
                target = resolve(page, loc).first
                url_before = page.url
                try:
                    if action.kind == ActionKind.CHECK:
                        await target.check(timeout=ACTION_TIMEOUT_MS)
                    elif action.kind == ActionKind.SELECT:
                        await target.select_option(
                            value=action.values.get("value", ""), timeout=ACTION_TIMEOUT_MS
                        )
                    else:
                        await target.click(timeout=ACTION_TIMEOUT_MS, no_wait_after=True)
                except PlaywrightTimeoutError as exc:
                    raise ControlRefused(
                        f"{action.kind} {action.label or el.name!r}: "
                        f"{_why_refused(exc)} after {ACTION_TIMEOUT_MS / 1000:.0f}s"
                    ) from exc
                await wait_after(page, url_before)
            await self.settle(page)
        finally:
            page.remove_listener("response", on_doc)
        return statuses[-1] if statuses else None

    # ------------------------------------------------------------------ what hangs

    @staticmethod
    async def discard(
        session: BrowserSession, ctx: BrowserContext | None, page: Page | None
    ) -> None:
        """Close a page and its context that may no longer answer; restart the browser if
        they will not close."""
        closed = True
        if page is not None:
            closed = await quietly(page.close(run_before_unload=False), CLOSE_TIMEOUT_S)
        if ctx is not None:
            closed = await quietly(ctx.close(), CLOSE_TIMEOUT_S) and closed
        if not closed:
            await quietly(session.restart(force=True), 90)


def form_of(state: State, form_id: str | None) -> Form:
    """The form `form_id` of `state` (a Playwright error when it is not there)."""
    for f in state.forms:
        if f.id == form_id:
            return f
    raise PlaywrightError(f"form {form_id} not on state {state.id}")


async def wait_after(page: Page, url_before: str) -> None:
    """After a click: wait for a navigation it started, else for the DOM to settle."""
    try:
        await page.wait_for_url(lambda u: u != url_before, timeout=600)
        await page.wait_for_load_state("domcontentloaded")
    except PlaywrightError as exc:
        if is_crash(exc):
            raise
