"""The exploration loop: N browser contexts pull (state, action) pairs from one frontier.

A state is reached again by its URL when that reproduces it, else by replaying the path of
transitions from the nearest state that has a URL. Every state is visited twice (discovery and
one revisit); only texts seen both times become `stable_texts`.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import httpx
from playwright.async_api import BrowserContext, Page
from playwright.async_api import Error as PlaywrightError

from qaforge.config import ConfigError, Settings
from qaforge.contracts.tasks import CrawlLimits
from qaforge.crawl.actor import Actor, ControlRefused, DownloadStarted, Observed, form_of
from qaforge.crawl.auth import (
    Credentials,
    LoginFailed,
    login_landing,
    resolve_ref,
    still_on_login,
)
from qaforge.crawl.browser import (
    CLOSE_TIMEOUT_S,
    BrowserSession,
    is_crash,
)
from qaforge.crawl.deadline import BrowserTimeout, quietly, within
from qaforge.crawl.discover import Discovery, DiscoveryLimits, discover
from qaforge.crawl.formdata import UNIQUE_TEXT
from qaforge.crawl.forms import (
    can_submit,
    echoed_fields,
    fitted_values,
    planned_values,
    refusals,
    rejection,
)
from qaforge.crawl.frontier import BUDGET_GRACE_S, CONTROL, NEW_PAGE, SUBMIT, Frontier, Work
from qaforge.crawl.last_look import look_again
from qaforge.crawl.modes import switches_mode
from qaforge.crawl.observe import (
    Snapshot,
    row_count_of,
    take_snapshot,
    to_state,
)
from qaforge.crawl.recorder import Recorder
from qaforge.crawl.scope import Scope
from qaforge.crawl.search import listed_texts, search_field, search_terms
from qaforge.crawl.urltemplate import normalize_url, url_template
from qaforge.errors import UserError
from qaforge.models import (
    HISTORY_ONLY,
    Action,
    ActionKind,
    AppModel,
    CrawlStats,
    Element,
    FindingKind,
    Form,
    LocatorStrategy,
    Outcome,
    State,
    Target,
    Transition,
    stable_id,
)

ProgressFn = Callable[[CrawlStats], None]
# How much later than the first visit a revisit of a live page acts and looks.
_LIVE_LINGER_S = 1.0
# The HTTP walk's share of the exploring budget, and its ceiling: it finds most of an app's
# pages in seconds, and the browser needs the rest.
HTTP_SHARE = 0.15
HTTP_MAX_S = 45.0
_CLICKABLE = {"button", "tab", "menuitem", "switch"}


class CrawlError(UserError):
    """The crawl cannot start (unreachable, not HTML, login failed, out of scope)."""


class Explorer:
    """Crawls one target into an `AppModel`."""

    def __init__(
        self,
        settings: Settings,
        target: Target,
        limits: CrawlLimits,
        progress: ProgressFn | None = None,
        artifacts_dir: Path | None = None,
    ) -> None:
        self.settings = settings
        self.target = target
        self.limits = limits
        self.progress = progress
        self.artifacts_dir = artifacts_dir
        self.scope = Scope.build(
            target.url,
            target.include,
            target.exclude,
            limits.deny_labels,
            limits.allow_destructive,
        )
        self.unique = stable_id("crawl", limits.seed, length=6)
        self.rec = Recorder(target)
        self.url_errors: dict[str, int] = {}
        # Links answered with a file to save (a zip, an attachment): no page, so no state and
        # no transition, and never loaded again (as a non-HTML answer is not kept either).
        self.downloads: set[str] = set()
        self.done_signatures: set[tuple[str, str]] = set()
        self.frontier = Frontier(limits, normalize_url(target.url))
        self.actor = Actor(self.scope.origin)
        self._landing_url = ""
        self._state_lock = asyncio.Lock()
        self._idle = 0
        self._creds: Credentials | None = None
        self._session: BrowserSession | None = None
        self._stop_reason = ""

    # ------------------------------------------------------------------ public

    async def run(self) -> AppModel:
        """Explore until the frontier is empty or a limit is hit; always returns what was seen."""
        self.frontier.start()
        http_credentials = self._http_credentials()
        await self._preflight(http_credentials)
        session = BrowserSession(
            self.settings,
            http_credentials=http_credentials,
            storage_state=self.target.auth.auth_state_path,
            timeout_ms=self.limits.page_timeout_ms,
        )
        self._session = session
        try:
            try:
                await session.start()
            except (PlaywrightError, BrowserTimeout, ConfigError) as exc:
                raise CrawlError(
                    f"the browser would not start ({_short(exc)}): check QAFORGE_CHROMIUM "
                    f"(now {self.settings.chromium or 'unset'})"
                ) from exc
            await self._authenticate(session)
            await self._discover(session, http_credentials)
            # The workers stop themselves at the budget; this is the backstop for anything
            # that slipped past the per-action deadlines.
            remaining = self.frontier.explore_left_s
            try:
                await asyncio.wait_for(
                    self._explore(session), timeout=max(1.0, remaining) + 2 * BUDGET_GRACE_S
                )
            except TimeoutError:
                self._stop_reason = self._stop_reason or "time-budget"
                self.rec.error("the crawl did not stop at its budget: stopped it")
            await self._look_again(session)
        except asyncio.CancelledError:
            self._stop_reason = "cancelled"
            raise
        except CrawlError:
            raise
        except Exception as exc:
            # A bug in qaforge, not the app's fault: keep what was explored and say so.
            self._stop_reason = f"error: {_short(exc)}"
            self.rec.error(self._stop_reason)
        finally:
            self.rec.stats.browser_restarts = session.restarts
            await session.close()
        await self._mark_login_required(http_credentials)
        return self.model()

    async def _mark_login_required(self, http_credentials: dict[str, str] | None) -> None:
        """States an anonymous visitor cannot open: bounced to the login page, or 401/403."""
        auth = self.target.auth
        if auth.kind != "form" or not auth.login_url:
            return
        login_path = self._login_path()
        creds = (
            (http_credentials["username"], http_credentials["password"])
            if http_credentials
            else None
        )
        gate = asyncio.Semaphore(4)

        async def probe(client: httpx.AsyncClient, state: State) -> None:
            assert state.reach_url
            async with gate:
                try:
                    r = await client.get(state.reach_url)
                except httpx.HTTPError:
                    return
            location = urlsplit(urljoin(state.reach_url, r.headers.get("location", "")))
            state.requires_login = r.status_code in (401, 403) or (
                r.is_redirect and location.path == login_path
            )

        async with httpx.AsyncClient(timeout=5, auth=creds) as client:
            probes = [probe(client, s) for s in self.rec.states.values() if s.reach_url]
            if not await quietly(asyncio.gather(*probes), 15):
                self.rec.error("checking which pages need a login took over 15s: left unchecked")
        for state in self.rec.states.values():
            if not state.reach_url and state.reach_path:
                first = self.rec.transitions.get(state.reach_path[0])
                root = self.rec.states.get(first.source) if first else None
                state.requires_login = bool(root and root.requires_login)

    def model(self) -> AppModel:
        """The model as explored so far (safe to call after an error)."""
        return self.rec.model(self._stop_reason, self.frontier.elapsed_s, _p90(self.actor.ready_s))

    # ------------------------------------------------------------------ set-up

    def _http_credentials(self) -> dict[str, str] | None:
        auth = self.target.auth
        if auth.http_credentials_ref:
            raw = resolve_ref(auth.http_credentials_ref) or ""
            user, sep, pw = raw.partition(":")
            if not sep:
                raise CrawlError("--http-credentials must look like USER:PASS")
            return {"username": user, "password": pw}
        if auth.kind == "basic" and auth.username_ref and auth.password_ref:
            basic_user = resolve_ref(auth.username_ref)
            basic_pw = resolve_ref(auth.password_ref)
            if basic_user is not None and basic_pw is not None:
                return {"username": basic_user, "password": basic_pw}
        return None

    async def _preflight(self, http_credentials: dict[str, str] | None) -> None:
        """Fail fast, with a clear message, on a start URL that cannot be crawled."""
        auth = (
            (http_credentials["username"], http_credentials["password"])
            if http_credentials
            else None
        )
        timeout = self.limits.page_timeout_ms / 1000
        url = self.target.url
        try:
            async with httpx.AsyncClient(timeout=timeout, auth=auth) as client:
                # Redirects one hop at a time: one that leaves the scope is never followed.
                for _ in range(10):
                    r = await client.get(url)
                    if not r.is_redirect:
                        break
                    url = urljoin(url, r.headers.get("location", ""))
                    if not self.scope.allows_url(url):
                        raise CrawlError(f"{self.target.url} redirects out of scope, to {url}")
                else:
                    raise CrawlError(f"{self.target.url} redirects in a loop (10 hops, last {url})")
        except httpx.TimeoutException as exc:
            raise CrawlError(
                f"{self.target.url} did not answer within {timeout:.0f}s (the page never "
                "finished loading)"
            ) from exc
        except httpx.HTTPError as exc:
            raise CrawlError(f"{self.target.url} is unreachable: {exc}") from exc
        if r.status_code == 401 and not http_credentials:
            raise CrawlError(f"{self.target.url} asks for HTTP auth: use --http-credentials")
        ctype = r.headers.get("content-type", "")
        if r.status_code < 400 and "html" not in ctype:
            raise CrawlError(
                f"{self.target.url} is not an HTML page (content-type {ctype or 'missing'})"
            )
        if r.status_code >= 400:
            raise CrawlError(f"{self.target.url} answered HTTP {r.status_code}")

    async def _authenticate(self, session: BrowserSession) -> None:
        auth = self.target.auth
        if auth.kind != "form" or not auth.login_url:
            return
        user = resolve_ref(auth.username_ref)
        password = resolve_ref(auth.password_ref)
        if user is None or password is None:
            raise CrawlError(
                "--login-url needs a username and password (flags or QAFORGE_USERNAME / "
                "QAFORGE_PASSWORD)"
            )
        self._creds = Credentials(user, password)
        await self._login(session)

    async def _login(self, session: BrowserSession) -> None:
        assert self._creds is not None and self.target.auth.login_url
        login_url = urljoin(self.target.url, self.target.auth.login_url)
        ctx = await within(session.new_context(authenticated=False), 30, "opening a context")
        shot = self.artifacts_dir / "login-failed.png" if self.artifacts_dir else None
        try:
            session.storage_state, landing = await within(
                login_landing(
                    ctx, login_url, self._creds, self.limits.page_timeout_ms, screenshot=shot
                ),
                4 * self.limits.page_timeout_ms / 1000 + 10,
                f"logging in at {login_url}",
            )
            self._landing_url = self._landing_url or landing
        except LoginFailed as exc:
            raise CrawlError(str(exc)) from exc
        except BrowserTimeout as exc:
            raise CrawlError(f"login failed: {exc}") from exc
        finally:
            await quietly(ctx.close(), CLOSE_TIMEOUT_S)

    async def _discover(
        self, session: BrowserSession, http_credentials: dict[str, str] | None
    ) -> None:
        """The HTTP walk over the app's links, with the session the browser logged in with."""
        share = min(self.frontier.explore_budget_s * HTTP_SHARE, HTTP_MAX_S)
        if self.limits.http_pages <= 0 or share < 1:
            return
        auth = self.target.auth
        login_path = self._login_path() if auth.kind == "form" else None
        starts = [self.target.url]
        if self._landing_url and self.scope.allows_url(self._landing_url):
            starts.append(self._landing_url)

        try:
            found = await self._walk(session, http_credentials, starts, login_path, share)
        except Exception as exc:
            # The walk only adds page checks: whatever broke it, the browser crawl goes on.
            self.rec.error(f"the HTTP walk stopped: {_short(exc)}")
            return
        self.rec.pages = found.pages
        self.downloads.update(normalize_url(u) for u in found.downloads)
        self.rec.stats.http_pages = len(found.pages)
        self.rec.stats.http_templates = found.templates
        self.rec.stats.http_duration_s = found.duration_s
        if found.errors:
            self.rec.error(
                f"the HTTP walk: {len(found.errors)} page(s) did not answer (first: "
                f"{found.errors[0][:160]})"
            )

    def _login_path(self) -> str | None:
        """The path of the form login page, if the target has one."""
        login_url = self.target.auth.login_url
        return urlsplit(urljoin(self.target.url, login_url)).path if login_url else None

    async def _walk(
        self,
        session: BrowserSession,
        http_credentials: dict[str, str] | None,
        starts: list[str],
        login_path: str | None,
        share: float,
    ) -> Discovery:
        def progress(pages: int) -> None:
            self.rec.stats.http_pages = pages
            self._report()

        return await discover(
            starts,
            self.scope,
            cookies=_cookies_of(session.storage_state),
            auth=(
                (http_credentials["username"], http_credentials["password"])
                if http_credentials
                else None
            ),
            login_path=login_path,
            limits=DiscoveryLimits(
                max_pages=self.limits.http_pages,
                time_s=share,
                timeout_s=self.limits.page_timeout_ms / 1000,
                concurrency=max(2, 2 * self.limits.contexts),
            ),
            progress=progress,
        )

    # ------------------------------------------------------------------ exploration

    async def _explore(self, session: BrowserSession) -> None:
        contexts = max(1, self.limits.contexts)
        start = normalize_url(self.target.url)
        root = Action(kind=ActionKind.GOTO, url=start, label="start")
        self.frontier.push(Work(0, NEW_PAGE, "", "", root))
        # Where the login led (an admin's dashboard, say) is a second way in: the start page
        # may not link to it at all.
        landing = normalize_url(self._landing_url) if self._landing_url else ""
        if landing and landing != start and self.scope.allows_url(landing):
            after = Action(kind=ActionKind.GOTO, url=landing, label="after login")
            self.frontier.push(Work(0, NEW_PAGE, "~", "", after))
        workers = [asyncio.create_task(self._worker(session, i)) for i in range(contexts)]
        self._idle = 0
        try:
            await asyncio.gather(*workers)
        finally:
            for w in workers:
                w.cancel()

    @staticmethod
    def _is_entry(work: Work) -> bool:
        """The start page or the page after login: the crawl's ways in."""
        return work.depth == 0 and not work.state_id

    def _limit_hit(self) -> str:
        return self.frontier.limit_hit(len(self.rec.states), self.rec.stats.actions)

    async def _worker(self, session: BrowserSession, index: int) -> None:
        ctx: BrowserContext | None = None
        page: Page | None = None
        waiting = False
        contexts = max(1, self.limits.contexts)
        while True:
            reason = self._limit_hit()
            if reason:
                self._stop_reason = self._stop_reason or reason
                break
            work = self.frontier.pop()
            if work is None:
                if not waiting:
                    waiting = True
                    self._idle += 1
                if self._idle >= contexts:
                    break  # everyone is idle and nothing is left: done
                await asyncio.sleep(0.05)
                continue
            if waiting:
                waiting = False
                self._idle -= 1
            # A client-side mode lives in the context's storage: work in a mode starts from a
            # fresh context (its path switches the mode, as a test's would), and a context
            # left in a mode is not used for anything else.
            in_mode = work.state_id in self.rec.mode_states
            modes = len(self.rec.mode_states)
            if in_mode and ctx is not None:
                await self.actor.discard(session, ctx, page)
                ctx, page = None, None
            stored = False
            for attempt in range(2):
                try:
                    if ctx is None or page is None or page.is_closed():
                        if ctx is None:
                            ctx = await within(session.new_context(), 30, "opening a context")
                        page = await within(ctx.new_page(), 30, "opening a page")
                        self.actor.watch(page)
                    stored = await within(
                        self._do(page, work), self.frontier.work_deadline(), "the page"
                    )
                    break
                except asyncio.CancelledError:
                    raise
                except _SessionLost:
                    await self.actor.discard(session, ctx, page)
                    ctx, page = None, None
                    if attempt == 0:
                        if await self._relogin(session):
                            continue
                        self.rec.error(
                            f"{self._where(work)}: logged out, and logging in again failed"
                        )
                    else:
                        # Logged in afresh, the action still ends on the login page: it is
                        # the action that ends the session (or needs rights we lack).
                        self.rec.error(
                            f"{self._where(work)}: leads to the login page even after logging "
                            "in again; skipped"
                        )
                    break
                except BrowserTimeout as exc:
                    # The page (or the whole renderer) stopped answering: throw the context
                    # away, and the browser with it if even closing hangs. Cut short by the
                    # budget itself, it is no error: `stopped_by` says the budget ran out.
                    await self.actor.discard(session, ctx, page)
                    ctx, page = None, None
                    if attempt == 0 and self._is_entry(work) and not self._limit_hit():
                        continue
                    if not self._limit_hit():
                        self.rec.error(f"{self._where(work)}: {exc}")
                    break
                except ControlRefused as exc:
                    # The page would not take the action (a control covered or hidden): the
                    # action is skipped, the page is still good for the next work.
                    self.rec.skip(f"{self._where(work)}: {exc}")
                    break
                except DownloadStarted as exc:
                    # A file to save is no page and no error; the page stayed where it was.
                    self.downloads.add(normalize_url(exc.url))
                    break
                except Exception as exc:
                    if isinstance(exc, PlaywrightError) and is_crash(exc) and attempt == 0:
                        await session.restart()
                        ctx, page = None, None
                        continue
                    if attempt == 0 and self._is_entry(work) and not self._limit_hit():
                        # Every page hangs off the way in: a first load that timed out (a
                        # cold browser on a busy machine) gets a second, fresh page.
                        await self.actor.discard(session, ctx, page)
                        ctx, page = None, None
                        continue
                    # One action failing is the action's problem, never the crawl's.
                    self.rec.error(f"{self._where(work)}: {_short(exc)}")
                    if page is not None and not await quietly(page.close(), CLOSE_TIMEOUT_S):
                        await self.actor.discard(session, ctx, None)
                        ctx = None
                    page = None
                    break
            # A control that wrote to the browser's storage (Django's "Toggle navigation"
            # keeps the sidebar closed) would show every later page of this context as no
            # fresh visit, and no generated test, sees it: the next work starts afresh.
            if (stored or in_mode or len(self.rec.mode_states) != modes) and ctx is not None:
                await self.actor.discard(session, ctx, page)
                ctx, page = None, None
            if self.limits.action_delay_ms:
                await asyncio.sleep(self.limits.action_delay_ms / 1000)
        if ctx is not None:
            await quietly(ctx.close(), CLOSE_TIMEOUT_S)

    def _where(self, work: Work) -> str:
        source = self.rec.states.get(work.state_id)
        url = work.action.url or (source.url if source else self.target.url)
        return f"{work.action.label or work.action.kind} on {url}"

    async def _relogin(self, session: BrowserSession) -> bool:
        """Log in again after the app dropped the session; whether it worked."""
        if self._creds is None:
            return False
        async with self._state_lock:
            try:
                await self._login(session)
            except CrawlError as exc:
                self.rec.error(f"logging in again: {_short(exc)}")
                return False
        return True

    # ------------------------------------------------------------------ one step

    async def _reach(self, page: Page, state: State, linger_s: float = 0.0) -> bool:
        """Bring `page` to `state`, by URL or by replaying its path; whether the page is live.

        On a live page each replayed action waits `linger_s` first, so that a text fixed at
        the moment of the action ("Shown at tick 25") differs from the first visit's."""
        if state.reach_url:
            _, live = await self.actor.goto_live(page, state.reach_url)
        else:
            root = self.rec.states.get(self.rec.transitions[state.reach_path[0]].source)
            if root is None or not root.reach_url:
                raise PlaywrightError(f"no way to reach state {state.id}")
            _, live = await self.actor.goto_live(page, root.reach_url)
            for tid in state.reach_path:
                t = self.rec.transitions[tid]
                src = self.rec.states[t.source]
                if live and linger_s:
                    await asyncio.sleep(linger_s)
                await self._perform(page, src, t.action)
        if self._creds and self.target.auth.login_url and not _is_login_state(state):
            login_url = urljoin(self.target.url, self.target.auth.login_url)
            if await still_on_login(page, login_url):
                raise _SessionLost()
        return live

    async def _do(self, page: Page, work: Work) -> bool:
        """Do one piece of work; True when it changed what the browser stores for the app."""
        action = work.action
        if action.kind == ActionKind.GOTO and not work.state_id:
            url = action.url or self.target.url
            if normalize_url(url) in self.downloads:
                return False
            self.actor.reset(page)
            try:
                status = await self.actor.goto(page, url)
            except DownloadStarted:
                self.rec.stats.actions += 1
                self.downloads.add(normalize_url(url))
                return False
            obs = self.actor.collect(page, status)
            self.rec.stats.actions += 1
            self.rec.stats.pages_loaded += 1
            await self._record_new_state(page, obs, None, work.depth, action)
            return False
        source = self.rec.states[work.state_id]
        if action.kind == ActionKind.CLICK and action.url and source.id not in self.rec.mode_states:
            await self._follow_link(page, source, action, work.depth)
            return False
        await self._reach(page, source)
        self.actor.reset(page)
        before = await take_snapshot(page, verify=False)
        stored = await _stored(page)
        token = self._token()
        status = await self._perform(page, source, action, token)
        self.rec.stats.actions += 1
        obs = self.actor.collect(page, status)
        await self._record_transition(page, source, action, before, obs, work.depth, token)
        self._report()
        return await _stored(page) != stored

    async def _follow_link(self, page: Page, source: State, action: Action, depth: int) -> None:
        """A link is a GET: known targets are recorded without loading them again."""
        url = action.url or ""
        tid = stable_id(source.id, action.signature())
        template = url_template(url)
        known = self.rec.url_state.get(url)
        if url in self.downloads:
            return  # a file to save: not a page, so no transition (as a non-HTML answer)
        if known is None and url in self.url_errors:
            self._record_link(source, action, tid, None, self.url_errors[url], url)
            return
        if known is not None:
            self._record_link(source, action, tid, known, self.rec.states[known].http_status, url)
            return
        if len(self.rec.template_urls.get(template, set())) >= self.limits.instances_per_template:
            return  # enough instances of this template: folding, not exploring
        self.actor.reset(page)
        try:
            status = await self.actor.goto(page, url)
        except DownloadStarted:
            # The link starts a download (the browser refuses it; the page stays as it was):
            # noted as one, kept as a non-HTML answer is, as nothing.
            self.rec.stats.actions += 1
            self.downloads.add(url)
            return
        self.rec.stats.actions += 1
        self.rec.stats.pages_loaded += 1
        obs = self.actor.collect(page, status)
        if status is not None and status >= 400:
            self.url_errors[url] = status
        # The link is recorded before its target: a target reached only by replaying this
        # link (its URL alone does not reproduce it) is revisited through it at once.
        self._record_link(source, action, tid, None, status, obs.url, obs)
        target = await self._record_new_state(page, obs, (source, tid), depth, action)
        if target is None and (status is None or status < 400):
            # Out of scope, not HTML or over a limit: not a transition worth keeping.
            async with self._state_lock:
                self.rec.transitions.pop(tid, None)
            return
        self.rec.transitions[tid].target = target
        self._report()

    def _record_link(
        self,
        source: State,
        action: Action,
        tid: str,
        target: str | None,
        status: int | None,
        url: str,
        obs: Observed | None = None,
    ) -> None:
        error = status is not None and status >= 400
        self.rec.transitions[tid] = Transition(
            id=tid,
            source=source.id,
            action=action,
            target=target,
            network=obs.network[:30] if obs else [],
            outcome=Outcome.ERROR if error else Outcome.NAVIGATED,
            http_status=status,
            console_errors=obs.console if obs else [],
            target_url=normalize_url(url),
        )
        if error:
            kind: FindingKind = "http-error" if (status or 0) >= 500 else "broken-link"
            self.rec.finding(kind, source.url, f"{action.label!r} → {url} answered {status}")

    def _token(self) -> str:
        """The unique token of one submission: the crawl's own, plus 4 characters of its own.

        Per submission, not per crawl: a form replayed on the way to a state, or the same app
        crawled again, would otherwise send a username or title the app already holds and be
        refused ("A user with that username already exists")."""
        return self.unique + secrets.token_hex(2)

    async def _perform(
        self, page: Page, source: State, action: Action, token: str | None = None
    ) -> int | None:
        """Do `action` on the page; returns the HTTP status of a document it loaded, if any."""
        return await self.actor.perform(page, source, action, token or self._token())

    # ------------------------------------------------------------------ recording

    async def _record_new_state(
        self,
        page: Page,
        obs: Observed,
        reach_from: tuple[State, str] | None,
        depth: int,
        action: Action,
        in_mode: bool = False,
    ) -> str | None:
        """Observe the page as a state: new ones are revisited, recorded and expanded.

        `in_mode`: the page shows a client-side mode (`crawl/modes.py`), so its URL alone does
        not reproduce it; it is reached by replaying the path that switched the mode."""
        if obs.status is not None and obs.status >= 400:
            return None
        if not self.scope.allows_url(obs.url):
            return None
        ctype = await within(page.evaluate("document.contentType"), 10, "the page")
        if "html" not in str(ctype):
            return None
        snap = await take_snapshot(page)
        async with self._state_lock:
            if snap.fingerprint in self.rec.states:
                self.rec.url_state.setdefault(normalize_url(obs.url), snap.fingerprint)
                return snap.fingerprint
            template = url_template(obs.url)
            seen_urls = self.rec.template_urls.get(template, set())
            if (
                len(seen_urls) >= self.limits.instances_per_template
                and normalize_url(obs.url) not in seen_urls
            ):
                return None
            if len(self.rec.states) >= self.limits.state_cap:
                self._stop_reason = self._stop_reason or "max-states"
                return None
            state = to_state(snap, depth, obs.status)
            state.console_errors = obs.console
            if reach_from is None:
                state.reach_url = normalize_url(obs.url)
            else:
                src, tid = reach_from
                # A URL reached by a plain GET reproduces the state; others need the path.
                if not in_mode and (
                    action.kind in (ActionKind.GOTO,)
                    or (
                        action.kind == ActionKind.CLICK
                        and normalize_url(obs.url) != normalize_url(src.url)
                    )
                ):
                    state.reach_url = normalize_url(obs.url)
                else:
                    state.reach_url = None
                    state.reach_path = [*src.reach_path, tid] if not src.reach_url else [tid]
            self.rec.states[state.id] = state
            if in_mode and not state.reach_url:
                self.rec.mode_states.add(state.id)
            self.rec.template_urls.setdefault(template, set()).add(normalize_url(obs.url))
            if state.reach_url:
                self.rec.url_state.setdefault(state.reach_url, state.id)
        for err in obs.console:
            self.rec.finding("console-error", state.url, err)
        for failed in obs.failed:
            self.rec.finding("request-failed", state.url, failed)
        await self._revisit(page, state, snap)
        for work in self._actions_of(state, snap, depth):
            self.frontier.push(work)
        self._report()
        return state.id

    async def _revisit(self, page: Page, state: State, first: Snapshot) -> None:
        """Visit the state again, in a fresh context as a generated test starts; keep only
        texts seen both times, and check its URL works.

        Fresh, because the crawl's own context carries what earlier actions left in storage
        (MLflow keeps its sidebar collapsed and remembers the last experiment): what only
        that history shows differs on the revisit and is not asserted."""
        if not (state.reach_url or state.reach_path):
            return
        ctx: BrowserContext | None = None
        try:
            if self._session is not None:
                ctx = await within(self._session.new_context(), 30, "opening a context")
                page = await within(ctx.new_page(), 30, "opening a page")
            if state.reach_url:
                _, live = await self.actor.goto_live(page, state.reach_url)
            else:
                live = await self._reach(page, state, linger_s=_LIVE_LINGER_S)
            if live:
                # Two snapshots taken as quickly as the first visit's show the same counter
                # and clock: waiting a moment lets texts that change with time differ.
                await asyncio.sleep(_LIVE_LINGER_S)
            self.rec.stats.pages_loaded += 1
            second = await take_snapshot(page, verify=False)
        except PlaywrightError as exc:
            if is_crash(exc):
                raise
            state.stable_texts = []
            # One sighting says nothing about how many rows a fresh page shows.
            state.row_count = 0
            return
        finally:
            if ctx is not None:
                await quietly(ctx.close(), CLOSE_TIMEOUT_S)
        if state.reach_url and second.fingerprint != first.fingerprint and state.reach_path:
            state.reach_url = None
        state.visible_texts = first.texts[:80]
        state.row_count = min(state.row_count, row_count_of(second))
        # Controls only the crawl's own history showed (MLflow's sidebar lists the last
        # experiment's pages): the crawl may use them, a test that starts afresh cannot.
        fresh = Counter((e.role, e.name) for e in second.elements)
        texts = Counter(e.text for e in second.elements)
        for el in state.elements:
            if (el.role, el.name) not in fresh:
                el.attributes[HISTORY_ONLY] = "1"
            # A name unique in the crawl's context but not on a fresh page (MLflow lists
            # the experiment just opened in its sidebar too): that locator is no unique way
            # to the control for a test.
            for loc in el.locators:
                if loc.strategy == LocatorStrategy.ROLE and loc.name == el.name and loc.exact:
                    loc.count = max(loc.count, fresh[(el.role, el.name)])
                elif loc.strategy == LocatorStrategy.TEXT and loc.exact:
                    loc.count = max(loc.count, texts[loc.value])
        again = set(second.texts)
        state.stable_texts = [t for t in first.texts if t in again]
        if len(state.stable_texts) > 60:
            state.stable_texts = state.stable_texts[:60]

    async def _look_again(self, session: BrowserSession) -> None:
        """The last look at each page (`crawl/last_look.py`), oldest state first (the order
        they were recorded in), inside the share of the budget kept for it."""
        left = min(self.frontier.look_again_s, self.frontier.time_left_s)
        if not await look_again(
            self.rec.states.values(),
            session.new_context,
            self.actor,
            self.rec.stats,
            self.limits.contexts,
            left,
        ):
            self.rec.skip(f"the last look at each page stopped at its {left:.0f}s share")

    async def _confirm(self, source: State, transition: Transition, target: State) -> None:
        """Do the action again in a fresh context, as a test would; record whether it led to
        the state it led to in the crawl (`Transition.reproduced`).

        A state reached for the first time is checked by its revisit; this is for an action
        that led to a state already known, whose texts say nothing about this action. The
        crawl's own context carries what earlier actions left (MLflow's sidebar, collapsed by
        an earlier click, was opened by "Toggle sidebar"; a test's fresh page closes it)."""
        expected = [t for t in target.stable_texts if t not in source.stable_texts][:20]
        if not expected or self._session is None:
            return
        ctx: BrowserContext | None = None
        try:
            ctx = await within(self._session.new_context(), 30, "opening a context")
            page = await within(ctx.new_page(), 30, "opening a page")
            await self._reach(page, source)
            url_before = page.url
            await self._perform(page, source, transition.action)
            self.rec.stats.pages_loaded += 1
            moved = normalize_url(page.url) != normalize_url(url_before)
            again = set((await take_snapshot(page, verify=False)).texts)
        except PlaywrightError as exc:
            if is_crash(exc):
                raise
            transition.reproduced = False
            return
        finally:
            if ctx is not None:
                await quietly(ctx.close(), CLOSE_TIMEOUT_S)
        transition.reproduced = not moved and all(t in again for t in expected)

    def _actions_of(self, state: State, snap: Snapshot, depth: int) -> list[Work]:
        if depth >= self.limits.max_depth:
            return []
        out: list[Work] = []
        in_mode = state.id in self.rec.mode_states
        # A mode state's controls are another mode's: not the ones queued on this template.
        template = ("mode|" if in_mode else "") + state.url_template
        in_dialog = snap.dialog_open
        # On the app's settings the crawl follows links and tabs but changes nothing; in a
        # client-side mode it follows where the mode leads (the controls are the other
        # mode's, already queued).
        may_press = self.scope.may_press_on(_content_headings(state)) and not in_mode
        for el in state.elements:
            if in_dialog and not el.attributes.get("in-dialog"):
                continue
            if not may_press and el.role not in ("link", "tab"):
                continue
            if el.attributes.get("disabled"):
                continue
            labels = (el.name, el.text, el.attributes.get("href", ""), el.attributes.get("id", ""))
            if self.scope.is_destructive(*labels):
                continue
            action: Action | None = None
            if el.role == "link":
                href = el.attributes.get("href", "")
                if not href or href.startswith(("javascript:", "mailto:", "tel:")):
                    continue
                url = normalize_url(urljoin(state.url, href))
                if not self.scope.allows_url(url) or url in self.downloads:
                    continue
                fragment = urlsplit(urljoin(state.url, href)).fragment
                if (
                    fragment
                    and not fragment.startswith(("/", "!/"))
                    and url == normalize_url(state.url)
                ):
                    continue  # an in-page anchor ("Skip to main content"): no navigation
                if el.attributes.get("data-qaforge-scripted") or el.attributes.get(
                    "target", "_self"
                ).lower() not in ("", "_self", "_top", "_parent"):
                    # Opens another window (by its target or by a script): clicking it leaves
                    # this page as it is, so it is no transition; its page is still explored,
                    # as a page of its own.
                    window_sig = ("new-window", url_template(url))
                    if window_sig in self.done_signatures or url in self.rec.url_state:
                        continue
                    self.done_signatures.add(window_sig)
                    self.frontier.push(
                        Work(
                            depth + 1,
                            self.frontier.rank_link(url),
                            f"{template}|new-window|{url}",
                            "",
                            Action(kind=ActionKind.GOTO, url=url, label=el.name),
                        )
                    )
                    continue
                if in_mode and el.best_locator() is None:
                    continue  # followed by a click in its mode, so it needs a locator
                action = Action(kind=ActionKind.CLICK, element_id=el.id, url=url, label=el.name)
                rank = self.frontier.rank_link(url, in_mode)
            elif (
                el.role in _CLICKABLE
                and el.attributes.get("type") != "submit"
                and not _in_form(state, el)
            ):
                if el.best_locator() is None:
                    continue
                action = Action(kind=ActionKind.CLICK, element_id=el.id, label=el.name)
                rank = CONTROL
            if action is None:
                continue
            sig = (template, action.signature())
            if sig in self.done_signatures:
                continue
            self.done_signatures.add(sig)
            later = False
            if rank == CONTROL and el.name:
                later = self.frontier.control_elsewhere(el.role, el.name, template)
            out.append(
                Work(
                    depth + 1,
                    rank,
                    f"{template}|{el.role}|{el.name}|{el.id}",
                    state.id,
                    action,
                    later,
                )
            )
        for form in state.forms:
            if not may_press or not can_submit(form):
                continue
            submit_el = state.element(form.submit or "")
            submit_label = submit_el.name if submit_el else ""
            if self.scope.is_destructive(submit_label, form.action):
                continue
            if form.purpose == "login" and self._creds is not None:
                continue  # the crawl's own login form: submitting junk there only logs us out
            variants: list[Literal["valid", "empty"]] = ["valid"]
            if any(f.required for f in form.fields):
                variants.append("empty")
            variant: Literal["valid", "empty"]
            for variant in variants:
                action = Action(
                    kind=ActionKind.FILL_SUBMIT,
                    form_id=form.id,
                    element_id=form.submit,
                    values=planned_values(form, variant, self.unique),
                    variant=variant,
                    label=f"{submit_label or 'submit'} ({variant})",
                )
                sig = (template, action.signature())
                if sig in self.done_signatures:
                    continue
                self.done_signatures.add(sig)
                out.append(
                    Work(
                        depth + 1, SUBMIT, f"{template}|form|{form.id}|{variant}", state.id, action
                    )
                )
            out += self._searches(state, form, submit_label, depth)
        return out

    def _searches(self, state: State, form: Form, submit_label: str, depth: int) -> list[Work]:
        """The search oracle's submissions: each of a listed item's texts (the item comes back),
        and a term nothing has (the listed items go). Once per search form and path."""
        field_ = search_field(form)
        terms = search_terms(state.rows)
        if field_ is None or not terms:
            return []
        key = (state.url_template.split("?")[0], stable_id("search", form.action, field_.name))
        if key in self.done_signatures:
            return []
        self.done_signatures.add(key)
        label = submit_label or "Search"
        out = []
        for i, term in enumerate([*terms, UNIQUE_TEXT]):
            what = "a term nothing has" if term == UNIQUE_TEXT else repr(term)
            action = Action(
                kind=ActionKind.FILL_SUBMIT,
                form_id=form.id,
                element_id=form.submit,
                values={field_.name: term},
                variant="search",
                label=f"{label} for {what}",
            )
            out.append(Work(depth + 1, SUBMIT, f"{key[0]}|search|{form.id}|{i}", state.id, action))
        return out

    async def _record_transition(
        self,
        page: Page,
        source: State,
        action: Action,
        before: Snapshot,
        obs: Observed,
        depth: int,
        token: str = "",
    ) -> None:
        tid = stable_id(source.id, action.signature())
        moved = normalize_url(obs.url) != normalize_url(before.url)
        after = None
        if obs.status is None or obs.status < 400:
            for attempt in range(2):
                try:
                    after = await take_snapshot(page, verify=False)
                    break
                except PlaywrightError as exc:
                    if is_crash(exc):
                        raise
                    if attempt:
                        break
                    # The page was replaced while being read (the redirect after a POST
                    # landed late): read the page it became. Without this, a saved form's
                    # success page was never seen and no round trip asserted.
                    await quietly(page.wait_for_load_state("domcontentloaded"), 10)
                    await self.actor.settle(page)
        if obs.status is not None and obs.status >= 400:
            outcome = Outcome.ERROR
        elif moved:
            outcome = Outcome.NAVIGATED
        elif after is not None and (
            after.fingerprint != before.fingerprint
            or after.raw.get("textHash") != before.raw.get("textHash")
        ):
            outcome = Outcome.DOM_CHANGED
        else:
            outcome = Outcome.NO_CHANGE
        appeared: list[str] = []
        echoed: list[str] = []
        refused = ""
        found, gone = False, []
        if after is not None:
            seen = set(before.texts)
            appeared = [t for t in after.texts if t not in seen][:20]
            if action.kind == ActionKind.FILL_SUBMIT and action.variant == "valid":
                form = form_of(source, action.form_id)
                names = {f.name for f in form.fields}
                flagged = [n for n in after.invalid if n in names]
                sent = obs.status is not None or any(
                    c.method not in {"GET", "HEAD"} for c in obs.network
                )
                changed = outcome == Outcome.DOM_CHANGED
                refused = rejection(appeared, flagged, moved, changed, sent)
                if refused:
                    said = refusals(appeared) or [refused]
                    self._retry(source, form, action, flagged, said, depth)
                else:
                    echoed = echoed_fields(action.values, after.texts, token or self.unique)
            elif action.kind == ActionKind.FILL_SUBMIT and action.variant == "search":
                term = next(iter(action.values.values()), "")
                if term == UNIQUE_TEXT:
                    shown = set(after.texts)
                    gone = [t for t in listed_texts(before.raw.get("rows", [])) if t not in shown]
                else:
                    found = term in after.texts
        transition = Transition(
            id=tid,
            source=source.id,
            action=action,
            network=obs.network[:30],
            outcome=outcome,
            http_status=obs.status,
            console_errors=obs.console,
            appeared_texts=appeared,
            echoed_fields=echoed,
            # Fields marked invalid only mean something when the submit kept us on the page.
            invalid_fields=list(after.invalid) if after and not moved else [],
            rejected=refused,
            search_found=found,
            search_gone=gone[:6],
            target_url=normalize_url(obs.url),
        )
        async with self._state_lock:
            self.rec.transitions[tid] = transition
        if outcome == Outcome.ERROR and obs.status is not None:
            kind: FindingKind = "broken-link" if action.kind == ActionKind.CLICK else "http-error"
            if obs.status >= 500:
                kind = "http-error"
            self.rec.finding(
                kind, source.url, f"{action.label!r} → {obs.url} answered {obs.status}"
            )
        for failed in obs.failed:
            self.rec.finding("request-failed", source.url, failed)
        if outcome in (Outcome.NAVIGATED, Outcome.DOM_CHANGED):
            in_mode = action.kind == ActionKind.CLICK and (
                source.id in self.rec.mode_states
                or (
                    outcome == Outcome.DOM_CHANGED
                    and after is not None
                    and switches_mode(source.elements, after.elements)
                )
            )
            # In a mode, a known URL may show another page: only its fingerprint tells.
            known = (
                self.rec.url_state.get(normalize_url(obs.url)) if moved and not in_mode else None
            )
            if after is not None and after.fingerprint in self.rec.states:
                transition.target = after.fingerprint
                if outcome == Outcome.DOM_CHANGED and action.kind != ActionKind.FILL_SUBMIT:
                    await self._confirm(source, transition, self.rec.states[after.fingerprint])
            elif known and action.kind == ActionKind.CLICK:
                transition.target = known
            else:
                transition.target = await self._record_new_state(
                    page, obs, (source, tid), depth, action, in_mode
                )
        elif outcome == Outcome.NO_CHANGE:
            transition.target = source.id

    def _retry(
        self,
        source: State,
        form: Form,
        action: Action,
        flagged: list[str],
        messages: list[str],
        depth: int,
    ) -> None:
        """Queue a second valid submission with fitting values after the app refused the first.

        Only once: a form the app refuses twice is recorded as refusing what it was given."""
        if action.attempt > 1:
            return
        values = fitted_values(form, action.values, flagged, messages)
        if values == action.values and not re.search(
            r"already|exists|taken|in use", " ".join(messages), re.I
        ):
            return  # nothing better to send (a duplicate gets a fresh token anyway)
        label = action.label.replace(")", ", retried)")
        retry = action.model_copy(update={"values": values, "attempt": 2, "label": label})
        sig = (source.url_template, retry.signature())
        if sig in self.done_signatures:
            return
        self.done_signatures.add(sig)
        self.frontier.push(
            Work(depth, SUBMIT, f"{source.url_template}|form|{form.id}|retry", source.id, retry)
        )

    def _report(self) -> None:
        if self.progress is None:
            return
        stats = self.rec.figures()
        stats.queued = len(self.frontier)
        self.progress(stats)


class _SessionLost(Exception):
    """The app sent us back to the login page mid-crawl."""


def _is_login_state(state: State) -> bool:
    return any(f.purpose == "login" for f in state.forms)


_CHROME = (
    "nav",
    "aside",
    "header",
    "footer",
    "banner",
    "navigation",
    "complementary",
    "contentinfo",
)


def _content_headings(state: State) -> list[str]:
    """The page's headings outside its navigation and sidebars (a menu group titled
    "Settings" on every page makes no page a settings page), and only those a fresh visit
    shows too (MLflow leaves a closed "Settings" panel's heading on the next pages)."""
    return [
        e.name
        for e in state.elements
        if e.role == "heading"
        and e.attributes.get("landmark", "").split(":")[0] not in _CHROME
        and HISTORY_ONLY not in e.attributes
    ]


def _in_form(state: State, el: Element) -> bool:
    return any(
        el.id == f.submit or any(x.element_id == el.id for x in f.fields) for f in state.forms
    )


_STORED_JS = """() => {
  const read = (s) => { try { return Object.keys(s).sort().map((k) => [k, s.getItem(k)]); }
                        catch (e) { return null; } };
  return JSON.stringify([read(localStorage), read(sessionStorage)]);
}"""


async def _stored(page: Page) -> str:
    """What the page's origin keeps in local and session storage ("" when unreadable)."""
    try:
        return str(await asyncio.wait_for(page.evaluate(_STORED_JS), 2.0))
    except (PlaywrightError, TimeoutError):
        return ""


def _cookies_of(storage_state: str | dict[str, Any] | None) -> list[dict[str, Any]]:
    """The cookies of a browser storage state (a dict, or the path of its JSON file)."""
    state: Any = storage_state
    if isinstance(state, str):
        try:
            state = json.loads(Path(state).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
    cookies = state.get("cookies") if isinstance(state, dict) else None
    return [c for c in cookies if isinstance(c, dict)] if isinstance(cookies, list) else []


def _p90(values: list[float]) -> float:
    """The 90th percentile (nearest rank), 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 3)


def _short(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
