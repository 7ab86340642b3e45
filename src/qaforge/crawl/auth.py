"""Log in through a login form the crawler finds by itself; credentials stay out of every file.

The form is found the way a person would find it: the visible password field, its own form
(or the nearest container), a visible username field in it and a visible submit button (inside
the form or tied to it by `form="id"`); with no button, Enter. Two-step logins (username, Next,
then the password) and forms rendered late by JavaScript are waited for, within the timeout.
A failure is one line that says why; the password never appears in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from playwright.async_api import BrowserContext, Frame, Page, Request
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from qaforge.crawl.browser import is_crash
from qaforge.crawl.urltemplate import normalize_url
from qaforge.errors import UserError

T = TypeVar("T")

_POLL_S = 0.25
_CALL_CAP_S = 5.0  # one evaluate / click / fill never gets more than this (or what is left)
_QUIET_GIVE_UP_MS = 4000  # a page this quiet with no form will not grow one
_REJECT_GRACE_S = 2.0  # after submitting, a silent unchanged form is taken as a refusal
_FETCH_GRACE_S = 5.0  # fetches still running after this long (long polls) stop counting
_SCREENSHOT_S = 5.0
_ERROR_CHARS = 120

_USER = "[data-qaforge-login=username]"
_PASSWORD = "[data-qaforge-login=password]"
_SUBMIT = "[data-qaforge-login=submit]"
_LOGIN_PATH = re.compile(r"log-?in|sign-?in|signon|auth|session", re.I)
_GONE = ("execution context was destroyed", "frame was detached", "navigating frame")


class LoginFailed(UserError):
    """The login form did not accept the credentials (or could not be found)."""


def resolve_ref(ref: str | None) -> str | None:
    """`env:NAME` → the variable's value; `file:PATH` → the file's text without its final
    newline (a mounted secret; None when unreadable); anything else is returned as is."""
    if ref is None:
        return None
    if ref.startswith("env:"):
        return os.environ.get(ref[4:])
    if ref.startswith("file:"):
        try:
            return Path(ref[5:]).read_text().rstrip("\r\n")
        except OSError:
            return None
    return ref


@dataclass(frozen=True)
class Credentials:
    """Resolved at use time, never serialised (no pydantic model, no repr of the secret)."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=***)"


# One script, three modes: "find" (mark the password, username and submit fields, or the first
# step of a two-step form), "submit" (mark the submit control next to a marked field) and
# "outcome" (what the page shows after submitting).
_PROBE = r"""
(arg) => {
  const mode = arg.mode;
  const vis = (el) => {
    if (!el || !el.isConnected) return false;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || r.right <= 0 || r.bottom <= 0) return false;
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none';
  };
  const enabled = (el) => !el.disabled && el.getAttribute('aria-disabled') !== 'true';
  const usable = (el) => vis(el) && enabled(el);
  const text = (el) => ((el && (el.innerText || el.textContent)) || '').replace(/\s+/g, ' ').trim();
  const attr = (el, n) => (el.getAttribute(n) || '');
  const describe = (el) => {
    const parts = [el.name, el.id, attr(el, 'autocomplete'), attr(el, 'placeholder'),
                   attr(el, 'aria-label'), attr(el, 'title')];
    if (el.labels) for (const l of el.labels) parts.push(text(l));
    for (const id of attr(el, 'aria-labelledby').split(/\s+/).filter(Boolean)) {
      parts.push(text(document.getElementById(id)));
    }
    return parts.filter(Boolean).join(' ');
  };
  const q = window.__qaforge;
  const quiet = q ? { inflight: q.inflight, quietMs: Date.now() - q.lastMutation }
                  : { inflight: 0, quietMs: -1 };
  const pwVisible = () => Array.from(document.querySelectorAll('input[type=password]')).filter(vis);

  // ---- errors: the app's own message, most specific selectors first
  const SPECIFIC = ['[role=alert]', '[aria-live=assertive]', '.errorlist', '.errornote',
    '.alert-danger', '.alert-error', '.flash-error', '.notice-error', '.message-error',
    '.error-message', '.form-error', '.field-error', '.invalid-feedback', '.text-danger',
    '.error', '.errors', '.notification.is-danger'];
  const GENERIC = ['[class*="error" i]', '[class*="danger" i]', '[class*="invalid" i]',
    '[id*="error" i]'];
  const NOT_ERROR = /success|welcome|logged in as|signed in as/i;
  const errorText = (generic) => {
    const groups = generic ? SPECIFIC.concat(GENERIC) : SPECIFIC;
    for (const sel of groups) {
      for (const el of document.querySelectorAll(sel)) {
        if (!vis(el) || el.querySelector('input, select, textarea, form')) continue;
        const t = text(el);
        if (t && t.length <= 500 && !NOT_ERROR.test(t)) return t;
      }
    }
    return '';
  };
  const LOGOUT = /log[\s_-]?out|sign[\s_-]?out|log[\s_-]?off/i;
  const hasLogout = () => Array.from(document.querySelectorAll(
      'a[href], button, [role=button], [role=menuitem], input[type=submit], form[action]'))
    .some((el) => LOGOUT.test(el.tagName === 'FORM' ? attr(el, 'action')
      : text(el).slice(0, 40) + ' ' + attr(el, 'href') + ' '
        + (el.tagName === 'INPUT' ? el.value : '')));

  if (mode === 'outcome') {
    const marked = document.querySelector('[data-qaforge-login=password]');
    let invalid = '';
    if (marked && marked.form && !marked.form.checkValidity()) {
      const bad = Array.from(marked.form.elements).find(
        (e) => e.willValidate && !e.validity.valid);
      const name = (bad && bad.labels && bad.labels[0] && text(bad.labels[0]))
        || (bad && (bad.name || bad.id || bad.type));
      if (bad) invalid = name + ': ' + bad.validationMessage;
    }
    const pw = pwVisible().length > 0;
    return { pw, marked: !!marked && vis(marked), error: errorText(pw), invalid,
             logout: hasLogout(), url: location.href, ...quiet };
  }

  // ---- finding fields
  const textLike = (el) => el.tagName === 'INPUT' && (['text', 'email', 'tel'].includes(el.type)
    || /username|email/i.test(attr(el, 'autocomplete')));
  const USERISH = /user|login|e-?mail|name|account|ident|phone|benutzer|courriel/i;
  const NOT_USER = /search|captcha|otp|one.?time|\bcode\b|token|query|\bq\b|coupon|promo/i;
  const userScore = (el) => {
    const d = describe(el);
    let s = 0;
    if (/\b(username|email)\b/i.test(attr(el, 'autocomplete'))) s += 4;
    if (el.type === 'email') s += 2;
    if (USERISH.test(d)) s += 2;
    if (NOT_USER.test(d)) s -= 6;
    return s;
  };
  const best = (items, score) => {
    let top = null, topScore = -Infinity;
    for (const it of items) { const s = score(it); if (s > topScore) { top = it; topScore = s; } }
    return top === null ? null : { el: top, score: topScore };
  };
  const before = (a, b) => !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
  // The smallest ancestor of `el` holding something `pick` accepts (the form if there is one).
  const around = (el, pick) => {
    if (el.form) {
      const inForm = pick(Array.from(el.form.elements).concat(
        Array.from(el.form.querySelectorAll('*'))));
      if (inForm.length) return inForm;
    }
    for (let c = el.parentElement; c; c = c.parentElement) {
      const found = pick(Array.from(c.querySelectorAll('*')));
      if (found.length) return found;
      if (c === document.body) break;
    }
    return [];
  };
  const userFields = (anchor) => around(anchor, (els) => els.filter(
    (e) => e !== anchor && textLike(e) && usable(e) && !e.readOnly));

  const LOGINISH = new RegExp('log ?in|sign ?in|submit|continue|next|enter|\\bgo\\b|weiter'
    + '|anmelden|connexion|entrar|iniciar', 'i');
  const NOT_SUBMIT = new RegExp('forgot|reset|register|sign ?up|create|cancel|back|google'
    + '|facebook|github|apple|microsoft|twitter|linkedin|\\bsso\\b|passkey|show|hide|reveal'
    + '|toggle|remember|language', 'i');
  const isSubmit = (el) => (el.tagName === 'BUTTON'
      && (attr(el, 'type') || 'submit').toLowerCase() === 'submit')
    || (el.tagName === 'INPUT' && ['submit', 'image'].includes(el.type));
  const caption = (el) => text(el) || (el.tagName === 'INPUT' ? el.value : '')
    || attr(el, 'aria-label') || attr(el, 'title') || attr(el, 'alt');
  const submitScore = (el) => {
    const c = caption(el);
    let s = isSubmit(el) ? 3 : 0;
    if (LOGINISH.test(c)) s += 2;
    if (NOT_SUBMIT.test(c + ' ' + (el.id || '') + ' ' + (el.name || ''))) s -= 6;
    return s;
  };
  const CLICKABLE = 'button, input[type=submit], input[type=image], input[type=button], '
    + '[role=button], a';
  // Outside a form a button's type means nothing: only its caption says it logs in.
  const saysLogin = (e) => e.matches(CLICKABLE) && LOGINISH.test(caption(e))
    && !NOT_SUBMIT.test(caption(e));
  const submitFor = (anchor) => {
    let cands = [];
    if (anchor.form) {
      const f = anchor.form;
      cands = Array.from(new Set([...f.elements, ...f.querySelectorAll(CLICKABLE)])).filter(
        (e) => e !== anchor && vis(e) && (isSubmit(e) || saysLogin(e)));
    }
    for (let c = anchor.parentElement; !cands.length && c; c = c.parentElement) {
      cands = Array.from(c.querySelectorAll(CLICKABLE)).filter((e) => vis(e) && saysLogin(e));
      if (c === document.body) break;
    }
    const ok = cands.filter(enabled);
    const top = best(ok, submitScore);
    return { el: top && top.score > 0 ? top.el : null, disabled: ok.length < cands.length };
  };
  const mark = (el, v) => { if (el) el.setAttribute('data-qaforge-login', v); };

  if (mode === 'submit') {
    document.querySelectorAll('[data-qaforge-login=submit]')
      .forEach((e) => e.removeAttribute('data-qaforge-login'));
    const anchor = document.querySelector('[data-qaforge-login=password]')
      || document.querySelector('[data-qaforge-login=username]');
    if (!anchor) return { submit: false, disabled: false, form: false };
    const sub = submitFor(anchor);
    mark(sub.el, 'submit');
    return { submit: !!sub.el, disabled: sub.disabled, form: !!anchor.form, ...quiet };
  }

  // mode === 'find'
  document.querySelectorAll('[data-qaforge-login]')
    .forEach((e) => e.removeAttribute('data-qaforge-login'));
  const pws = pwVisible().filter(enabled);
  const pwTop = best(pws, (el) => {
    const ac = attr(el, 'autocomplete');
    let s = 0;
    if (/current-password/.test(ac)) s += 2;
    if (/new-password/.test(ac)) s -= 2;
    const inForm = el.form ? Array.from(el.form.querySelectorAll('input[type=password]')) : [];
    if (el.form) s += inForm.filter(vis).length === 1 ? 1 : -1;
    return s;
  });
  const iframes = document.querySelectorAll('iframe').length;
  if (pwTop) {
    const pw = pwTop.el;
    const users = userFields(pw);
    // In the second step of a two-step login only a field that looks like the username is one.
    const user = best(users, (u) => userScore(u) * 10 + (before(u, pw) ? 1 : 0));
    const pick = user && (user.score > 0 || !arg.step2) ? user.el : null;
    mark(pw, 'password'); mark(pick, 'username');
    const sub = submitFor(pw);
    mark(sub.el, 'submit');
    return { pw: true, user: !!pick, userValue: pick ? pick.value : '', submit: !!sub.el,
             iframes, ...quiet };
  }
  if (arg.step1) {
    const cands = Array.from(document.querySelectorAll('input')).filter(
      (e) => textLike(e) && usable(e) && !e.readOnly);
    const user = best(cands, userScore);
    const sub = user && user.score >= 2 ? submitFor(user.el) : { el: null };
    // Only a button that moves on to a password: "Send me a link" or "Email a code" would
    // start a passwordless login (and send mail) instead.
    if (sub.el && !/link|code|send|magic|subscribe|search/i.test(caption(sub.el))) {
      mark(user.el, 'username');
      mark(sub.el, 'submit');
      return { pw: false, step1: true, user: true, userValue: user.el.value, submit: true,
               error: errorText(false), iframes, ...quiet };
    }
  }
  return { pw: false, step1: false, error: errorText(false), iframes, ...quiet };
}
"""

_REQUEST_SUBMIT = """
() => {
  const el = document.querySelector('[data-qaforge-login=password]')
    || document.querySelector('[data-qaforge-login=username]');
  if (!el || !el.form) return false;
  if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
  return true;
}
"""

_JS_CLICK = """
(sel) => { const el = document.querySelector(sel); if (!el) return false; el.click(); return true; }
"""

# Sets a field's value the way a framework notices (native setter + input/change events), for
# fields Playwright refuses to fill (readonly until focused, covered by a label, ...).
_JS_FILL = """
([sel, value]) => {
  const el = document.querySelector(sel);
  if (!el) return false;
  el.removeAttribute('readonly');
  el.focus();
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  setter.call(el, value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
  el.dispatchEvent(new Event('change', { bubbles: true }));
  return true;
}
"""


class _Refused(Exception):
    """Internal: the login failed for the reason in the message."""


class _Clock:
    def __init__(self, timeout_ms: int) -> None:
        self.timeout_ms = timeout_ms
        self.deadline = time.monotonic() + timeout_ms / 1000

    def left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def s(self, cap: float | None = _CALL_CAP_S) -> float:
        """Seconds for the next call; out of time → the timeout error."""
        left = self.left()
        if left <= 0.001:
            raise PlaywrightTimeoutError("login deadline reached")
        return left if cap is None else min(cap, left)

    def ms(self, cap: float | None = _CALL_CAP_S) -> float:
        return self.s(cap) * 1000


@dataclass
class _Watch:
    """Navigations of the login's frames still in flight, and when anything last happened."""

    page: Page
    frames: set[Frame] = field(default_factory=set)
    pending: set[Request] = field(default_factory=set)
    last: float = field(default_factory=time.monotonic)
    navigations: int = 0

    def __post_init__(self) -> None:
        self.frames.add(self.page.main_frame)
        self.page.on("request", self._request)
        self.page.on("requestfinished", self._done)
        self.page.on("requestfailed", self._done)
        self.page.on("framenavigated", self._navigated)

    def close(self) -> None:
        for event, fn in (
            ("request", self._request),
            ("requestfinished", self._done),
            ("requestfailed", self._done),
            ("framenavigated", self._navigated),
        ):
            with contextlib.suppress(Exception):
                self.page.remove_listener(event, fn)

    def _request(self, request: Request) -> None:
        with contextlib.suppress(Exception):
            if request.is_navigation_request() and request.frame in self.frames:
                if request.redirected_from is not None:
                    self.pending.discard(request.redirected_from)
                self.pending.add(request)
                self.last = time.monotonic()

    def _done(self, request: Request) -> None:
        if request in self.pending:
            self.pending.discard(request)
            self.last = time.monotonic()

    def _navigated(self, frame: Frame) -> None:
        if frame in self.frames:
            self.navigations += 1
            self.last = time.monotonic()


@dataclass
class _Run:
    page: Page
    login_url: str
    creds: Credentials
    clock: _Clock
    watch: _Watch
    phase: str = "opening the login page"
    status: int = 0


async def _bounded(aw: Awaitable[T], seconds: float) -> T:
    """Any Playwright call, with a hard limit (evaluate and friends have none of their own)."""
    try:
        return await asyncio.wait_for(aw, timeout=max(0.001, seconds))
    except TimeoutError as exc:
        raise PlaywrightTimeoutError(f"no answer within {seconds:.1f} s") from exc


def _gone(exc: PlaywrightError) -> bool:
    """The document went away under us (a navigation): try again on the new one."""
    msg = str(exc).lower()
    return any(s in msg for s in _GONE)


async def _probe(run: _Run, frame: Frame, mode: str, **arg: Any) -> dict[str, Any] | None:
    """The probe script in `frame`; None when the document is being replaced."""
    try:
        budget = run.clock.s()
        result: dict[str, Any] | None = await _bounded(
            frame.evaluate(_PROBE, {"mode": mode, **arg}), budget
        )
        return result
    except PlaywrightTimeoutError:
        if run.clock.left() <= 0.001:
            raise
        return None
    except PlaywrightError as exc:
        if is_crash(exc):
            raise
        if _gone(exc) or frame.is_detached():
            return None
        raise


def _frames(page: Page) -> list[Frame]:
    main = page.main_frame
    return [main, *[f for f in page.frames if f is not main and not f.is_detached()][:5]]


async def _find_form(
    run: _Run, *, step1: bool, step2: bool = False
) -> tuple[Frame, dict[str, Any]] | None:
    """Wait (within the deadline) for a visible password field, or the first step of a
    two-step form when `step1`; None when the page settles without either."""
    step1_seen: tuple[Frame, dict[str, Any]] | None = None
    while True:
        main: dict[str, Any] | None = None
        for frame in _frames(run.page):
            try:
                info = await _probe(run, frame, "find", step1=step1, step2=step2)
            except PlaywrightError as exc:
                if frame is run.page.main_frame or is_crash(exc):
                    raise
                continue  # a child frame that went away
            if frame is run.page.main_frame:
                main = info
            if info and info.get("pw"):
                return frame, info
            if info and info.get("step1") and frame is run.page.main_frame:
                if step1_seen is not None:
                    return frame, info  # seen twice in a row: no password is coming on its own
                step1_seen = (frame, info)
                break
        else:
            step1_seen = None
        busy = bool(run.watch.pending) or (main is not None and main.get("inflight", 0) > 0)
        if main is not None and not busy and not step1_seen:
            quiet_ms = main.get("quietMs", -1)
            if quiet_ms >= _QUIET_GIVE_UP_MS and time.monotonic() - run.watch.last > 1.0:
                return None
            if step2 and main.get("error") and time.monotonic() - run.watch.last > 1.0:
                return None  # the first step was answered with an error
        if run.clock.left() <= _POLL_S:
            return None
        await asyncio.sleep(_POLL_S)


async def _fill(run: _Run, frame: Frame, selector: str, value: str) -> None:
    try:
        await _pw(frame.fill(selector, value, timeout=run.clock.ms()), run)
    except PlaywrightError as exc:
        if is_crash(exc) or run.clock.left() <= 0.001:
            raise
        budget = run.clock.s()
        if not await _bounded(frame.evaluate(_JS_FILL, [selector, value]), budget):
            raise _Refused("the login form went away while it was being filled") from None


async def _pw(aw: Awaitable[T], run: _Run) -> T:
    """A Playwright call that has its own timeout, with a hard stop a second after it."""
    return await _bounded(aw, run.clock.left() + 1.0)


async def _submit(run: _Run, frame: Frame, field_selector: str) -> None:
    """Click the marked submit control; none (or none enabled) → Enter in `field_selector`,
    then the form's own submit if Enter did nothing (a form with two fields and no button is
    not submitted by Enter)."""
    info = await _probe(run, frame, "submit")
    waited = 0.0
    while info and not info.get("submit") and info.get("disabled") and waited < 1.0:
        await asyncio.sleep(_POLL_S)  # a button enabled once the fields are filled
        waited += _POLL_S
        info = await _probe(run, frame, "submit")
    run.watch.last = time.monotonic()
    if info and info.get("submit"):
        try:
            await _pw(frame.click(_SUBMIT, timeout=run.clock.ms(), no_wait_after=True), run)
            return
        except PlaywrightError as exc:
            if is_crash(exc) or run.clock.left() <= 0.001:
                raise
        # Covered by a banner or an overlay: a script click still submits.
        with contextlib.suppress(PlaywrightError):
            budget = run.clock.s()
            if await _bounded(frame.evaluate(_JS_CLICK, _SUBMIT), budget):
                return
    navigations = run.watch.navigations
    quiet_before = info.get("quietMs", -1) if info else -1
    started = time.monotonic()
    await _pw(frame.press(field_selector, "Enter", timeout=run.clock.ms(), no_wait_after=True), run)
    await asyncio.sleep(min(0.4, run.clock.left()))
    after = await _probe(run, frame, "submit") if run.clock.left() > 0.001 else None
    if after is None or run.watch.pending or run.watch.navigations != navigations:
        return  # the page is moving
    reacted = after.get("inflight", 0) > 0 or (
        quiet_before >= 0 and after.get("quietMs", -1) < (time.monotonic() - started) * 1000
    )
    if not reacted:
        with contextlib.suppress(PlaywrightError):
            budget = run.clock.s()
            await _bounded(frame.evaluate(_REQUEST_SUBMIT), budget)


def _path(url: str) -> tuple[str, str, str]:
    s = urlsplit(url)
    return s.scheme, s.netloc, s.path.rstrip("/") or "/"


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _ERROR_CHARS else text[: _ERROR_CHARS - 1].rstrip() + "…"


async def _outcome(run: _Run, frame: Frame, submit_url: str) -> None:
    """Wait for the app's answer to the submitted form; return when logged in, else refuse."""
    started = time.monotonic()
    run.phase = "waiting for the app to answer the login"
    while True:
        with contextlib.suppress(PlaywrightError):
            await _pw(run.page.wait_for_load_state("domcontentloaded", timeout=run.clock.ms()), run)
        await _settle(run)
        main = await _probe(run, run.page.main_frame, "outcome")
        login = main
        if frame is not run.page.main_frame and not frame.is_detached():
            with contextlib.suppress(PlaywrightError):
                login = await _probe(run, frame, "outcome")
        if main is not None and login is not None:
            busy = bool(run.watch.pending) or (
                main.get("inflight", 0) > 0 and time.monotonic() - started < _FETCH_GRACE_S
            )
            pw = bool(main.get("pw") or login.get("pw"))
            url = str(main.get("url") or run.page.url)
            left = _path(url) not in {_path(run.login_url), _path(submit_url)}
            on_login = pw and (not left or bool(_LOGIN_PATH.search(urlsplit(url).path)))
            error = str(login.get("error") or main.get("error") or "")
            if not busy:
                if main.get("logout") and not pw:
                    return  # something only a logged-in user sees
                if error and (on_login or not main.get("logout")):
                    where = (
                        "the form was still shown after submitting" if pw else "the app answered"
                    )
                    raise _Refused(f'{where}: "{_quote(error)}"')
                if not on_login:
                    return
                if login.get("invalid") and login.get("marked"):
                    raise _Refused(
                        f"the browser would not submit the form ({_quote(str(login['invalid']))})"
                    )
                if time.monotonic() - run.watch.last >= _REJECT_GRACE_S:
                    raise _Refused(
                        "the form was still shown after submitting, with no error message "
                        "(check the username and password)"
                    )
        if run.clock.left() <= _POLL_S:
            raise PlaywrightTimeoutError("login deadline reached")
        await asyncio.sleep(_POLL_S)


async def _settle(run: _Run) -> None:
    """Wait until no fetch is in flight and the DOM is quiet (bounded, never fails)."""
    left = run.clock.left()
    if left <= 0.05:
        return
    max_ms = int(min(2500, left * 1000))
    try:
        await _bounded(
            run.page.wait_for_function(
                """([quiet]) => { const q = window.__qaforge; if (!q) return true;
                    return q.inflight === 0 && Date.now() - q.lastMutation >= quiet; }""",
                arg=[120],
                timeout=max_ms,
                polling=50,
            ),
            max_ms / 1000 + 1.0,
        )
    except PlaywrightError as exc:
        if is_crash(exc):
            raise


async def _run_login(run: _Run) -> None:
    page, creds = run.page, run.creds
    try:
        response = await _pw(
            page.goto(run.login_url, wait_until="domcontentloaded", timeout=run.clock.ms(None)),
            run,
        )
        run.status = response.status if response is not None else 0
    except PlaywrightTimeoutError:
        raise
    except PlaywrightError as exc:
        if is_crash(exc):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _Refused(f"could not open the login page ({first})") from None

    run.phase = "waiting for the login form"
    found = await _find_form(run, step1=True)
    if found is None:
        raise _Refused(await _no_form(run, "is --login-url the login page?"))
    frame, info = found
    run.watch.frames.add(frame)

    if info.get("step1"):
        run.phase = "submitting the username (first step of a two-step login)"
        await _fill(run, frame, _USER, creds.username)
        await _submit(run, frame, _USER)
        run.phase = "waiting for the password field after the username step"
        found = await _find_form(run, step1=False, step2=True)
        if found is None:
            raise _Refused(
                await _no_form(run, "after the username was entered and submitted", step2=True)
            )
        frame, info = found
        run.watch.frames.add(frame)

    run.phase = "filling the login form"
    if info.get("user") and info.get("userValue") != creds.username:
        await _fill(run, frame, _USER, creds.username)
    await _fill(run, frame, _PASSWORD, creds.password)
    submit_url = page.url
    run.phase = "submitting the login form"
    await _submit(run, frame, _PASSWORD)
    await _outcome(run, frame, submit_url)


async def _no_form(run: _Run, hint: str, *, step2: bool = False) -> str:
    info = await _probe(run, run.page.main_frame, "find", step1=False) if run.clock.left() else None
    url = run.page.url
    if step2:
        msg = f"no password field appeared on {url} {hint}"
    else:
        msg = f"no password field on {url}: {hint}"
    if run.status >= 400 and not step2:
        msg += f" (it answered HTTP {run.status})"
    if info and info.get("error"):
        msg += f' (the page says: "{_quote(str(info["error"]))}")'
    elif not run.clock.left():
        msg += f" (waited {run.clock.timeout_ms / 1000:g} s)"
    return msg


def _redact(text: str, password: str) -> str:
    """The password out of a message: query values anywhere, and the string itself."""

    def clean_url(m: re.Match[str]) -> str:
        parts = urlsplit(m.group(0))
        if not parts.query:
            return m.group(0)
        pairs = [(k, "***" if v == password else v) for k, v in parse_qsl(parts.query, True)]
        return urlunsplit(parts._replace(query=urlencode(pairs, safe="*/:")))

    if password:
        text = re.sub(r"https?://[^\s\"')]+", clean_url, text)
        if len(password) >= 4:
            text = text.replace(password, "***")
    return " ".join(text.split())


async def _stop_loading(page: Page) -> None:
    """Cancel a navigation still pending (an app that never answers): it blocks screenshots."""
    with contextlib.suppress(PlaywrightError, NotImplementedError):
        cdp = await _bounded(page.context.new_cdp_session(page), 2.0)
        try:
            await _bounded(cdp.send("Page.stopLoading"), 2.0)
        finally:
            with contextlib.suppress(PlaywrightError):
                await _bounded(cdp.detach(), 2.0)


async def _screenshot(page: Page, path: Path) -> str:
    """Save a full-page PNG; the note for the message."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        await _stop_loading(page)
        await _bounded(
            page.screenshot(path=str(path), full_page=True, timeout=_SCREENSHOT_S * 1000),
            _SCREENSHOT_S + 1.0,
        )
    except (PlaywrightError, OSError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return f" (no screenshot: {first[:80]})"
    return f" (screenshot: {path})"


async def login(
    page: Page,
    login_url: str,
    creds: Credentials,
    timeout_ms: int,
    *,
    screenshot: Path | None = None,
) -> None:
    """Fill the login form at `login_url` and check that it let us in.

    Everything, two steps and late forms included, fits in `timeout_ms` (plus a few seconds
    for the screenshot of a failure, saved to `screenshot` when given). Raises `LoginFailed`
    with one line that says why; the password is never in it.
    """
    run = _Run(page, login_url, creds, _Clock(timeout_ms), _Watch(page))
    try:
        await _run_login(run)
        return
    except _Refused as exc:
        reason = str(exc)
    except PlaywrightTimeoutError:
        reason = f"timed out after {timeout_ms / 1000:g} s {run.phase}"
    except PlaywrightError as exc:
        if is_crash(exc):
            raise
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        reason = f"the browser gave up {run.phase}: {first[:160]}"
    finally:
        run.watch.close()
    note = await _screenshot(page, screenshot) if screenshot is not None else ""
    raise LoginFailed(_redact(f"login at {login_url} failed: {reason}{note}", creds.password))


async def still_on_login(page: Page, login_url: str, *, timeout_ms: int = 5000) -> bool:
    """Whether the page is (back) on the login form: a visible password field at the login URL."""
    same_page = normalize_url(page.url).split("?")[0] == normalize_url(login_url).split("?")[0]
    try:
        count = await _bounded(
            page.locator("input[type=password]:visible").count(), timeout_ms / 1000
        )
    except PlaywrightError as exc:
        if is_crash(exc):
            raise
        return False
    return count > 0 and (same_page or "login" in page.url.lower())


async def login_state(
    ctx: BrowserContext,
    login_url: str,
    creds: Credentials,
    timeout_ms: int,
    *,
    screenshot: Path | None = None,
) -> Any:
    """Log in once in `ctx` and return its storage state (cookies) for the other contexts."""
    state, _landing = await login_landing(ctx, login_url, creds, timeout_ms, screenshot=screenshot)
    return state


async def login_landing(
    ctx: BrowserContext,
    login_url: str,
    creds: Credentials,
    timeout_ms: int,
    *,
    screenshot: Path | None = None,
) -> tuple[Any, str]:
    """Log in once in `ctx`: its storage state and the URL the login led to."""
    page = await _bounded(ctx.new_page(), timeout_ms / 1000 + 5)
    try:
        await login(page, login_url, creds, timeout_ms, screenshot=screenshot)
        try:
            state = await _bounded(ctx.storage_state(), 10.0)
        except PlaywrightTimeoutError:
            raise LoginFailed(
                f"login at {login_url} seemed to work but the browser did not hand over "
                "its cookies within 10 s"
            ) from None
        return state, page.url
    finally:
        with contextlib.suppress(PlaywrightError):
            await _bounded(page.close(), 5.0)
