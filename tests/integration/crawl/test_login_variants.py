"""The crawler's form login on the login pages real apps have: hidden and outside submit
buttons, no button, labelled fields, two-step and late-rendered forms, and clear failures."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from qaforge.config import Settings
from qaforge.crawl.auth import Credentials, LoginFailed, login_landing
from qaforge.crawl.browser import BrowserSession

pytestmark = pytest.mark.browser

USER = "alice@example.com"
PASSWORD = "correct-horse-42"
WRONG = "wrong-battery-99"
BAD_LOGIN = "Please enter a correct username and password."

LOGIN_PAGES = {
    # (a) the form's first submit is hidden; the visible one must be clicked
    "hidden": """<h1>Sign in</h1><form method=post action=/hidden/login>
        <input type=submit id=hidden-submit name=go value=hidden style="display:none">
        <label>Username <input name=username></label>
        <label>Password <input type=password name=password></label>
        <button type=submit name=go value=visible>Log in</button></form>""",
    # (b) the submit button lives outside the form, tied to it by form="loginform"
    "outside": """<h1>Sign in</h1><form id=loginform method=post action=/outside/login>
        <label for=u>Username</label><input id=u name=username>
        <label for=p>Password</label><input id=p type=password name=password>
        <button type=button onclick="p.type = p.type === 'password' ? 'text' : 'password'"
          >Show</button></form>
        <div class=actions><button type=submit form=loginform name=go value=outside
          >Sign in</button></div>""",
    # (c) no submit control at all
    "enter": """<h1>Sign in</h1><form method=post action=/enter/login>
        <label>Username <input name=username></label>
        <label>Password <input type=password name=password></label></form>""",
    # (d) the username field is only recognisable by its label
    "label": """<h1>Sign in</h1><form method=post action=/label/login>
        <label for=org>Organisation (optional)</label><input id=org name=org>
        <label for=ident>Email</label><input id=ident name=identifier>
        <label for=pw>Password</label><input id=pw name=secret type=password>
        <button>Continue</button></form>""",
    # (e) two steps on one URL: the password appears after "Next"
    "twostep": """<h1>Sign in</h1><form id=f method=post action=/twostep/login>
        <div id=s1><label for=email>Email address</label>
          <input id=email name=email type=email autocomplete=username>
          <button id=next type=submit>Next</button></div>
        <div id=s2 hidden><label for=pw>Password</label>
          <input id=pw name=password type=password autocomplete=current-password>
          <button type=submit>Sign in</button></div></form>
        <script>
        f.addEventListener('submit', (e) => {
          if (!s2.hidden) return;
          e.preventDefault();
          setTimeout(() => { next.style.display = 'none'; s2.hidden = false; }, 300);
        });
        </script>""",
    # (e) two steps on two URLs
    "twostep2": """<h1>Sign in</h1><form method=post action=/twostep2/identify>
        <label for=u>Username</label><input id=u name=username>
        <button>Continue</button></form>""",
    # (f) the form is rendered by a script 1.5 s after load
    "late": """<div id=root>Loading…</div><script>
        setTimeout(() => { root.innerHTML = `<h1>Sign in</h1>
          <form method=post action=/late/login>
          <label>Username <input name=username></label>
          <label>Password <input type=password name=password></label>
          <button>Log in</button></form>`; }, 1500);
        </script>""",
    # a client-side login: fetch, then either go home or show the error in place
    "spa": """<h1>Sign in</h1><form id=f><label>Email <input name=email type=email></label>
        <label>Password <input name=password type=password></label>
        <button>Sign in</button><div id=msg></div></form>
        <script>
        f.addEventListener('submit', async (e) => {
          e.preventDefault();
          const r = await fetch('/spa/api/login', {method: 'POST',
            body: new URLSearchParams(new FormData(f))});
          if (r.ok) location.href = '/spa/';
          else msg.innerHTML = '<div role=alert>Invalid email or password.</div>';
        });
        </script>""",
    # no form at all: a script posts the fields; an unlabeled eye button sits next to them
    "formless": """<h1>Sign in</h1><div class=login>
        <div class=row><input id=u placeholder=Username></div>
        <div class=row><input id=p type=password placeholder=Password>
          <button class=eye onclick="p.type = 'text'">&#128065;</button></div>
        <div class=row><button id=go>Log in</button></div></div>
        <script>
        go.onclick = async () => {
          const r = await fetch('/formless/api/login', {method: 'POST',
            body: new URLSearchParams({username: u.value, password: p.value})});
          if (r.ok) location.href = '/formless/';
        };
        </script>""",
    # (h) not a login page
    "nopw": """<h1>Welcome</h1><form action=/nopw/search><input name=q placeholder=Search>
        <button>Search</button></form>""",
    # the app never answers the login
    "hang": """<h1>Sign in</h1><form method=post action=/hang/login>
        <label>Username <input name=username></label>
        <label>Password <input type=password name=password></label>
        <button>Log in</button></form>""",
}


def _accepts(app: str, form: dict[str, str]) -> bool:
    user = form.get("identifier" if app == "label" else "email", form.get("username", ""))
    password = form.get("secret" if app == "label" else "password", "")
    extra = {
        "hidden": form.get("go") == "visible",
        "outside": form.get("go") == "outside",
        "label": form.get("org", "") == "",
    }.get(app, True)
    return user == USER and password == PASSWORD and extra


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _page(self, body: str, status: int = 200) -> None:
        data = f"<!doctype html><title>fixture</title><main>{body}</main>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, location: str, cookie: str | None = None) -> None:
        self.send_response(303)
        if cookie:
            self.send_header("Set-Cookie", f"{cookie}; Path=/")
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _form(self) -> dict[str, str]:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        app, _, rest = url.path.strip("/").partition("/")
        if rest == "" and app in LOGIN_PAGES:
            if f"session_{app}=ok" in (self.headers.get("Cookie") or ""):
                self._page(f"<h1>Home of {app}</h1><nav><a href=/{app}/logout>Log out</a></nav>")
            else:
                self._page(f"<h1>Home of {app}</h1><a href=/{app}/login>Log in</a>")
        elif rest == "login" and app in LOGIN_PAGES:
            self._page(LOGIN_PAGES[app])
        elif url.path == "/twostep2/password":
            user = parse_qs(url.query).get("user", [""])[0]
            self._page(
                f"""<h1>Welcome</h1><p>Signing in as {user}.
                <a href=/twostep2/login>Use another account</a></p>
                <form method=post action=/twostep2/password>
                <input type=hidden name=username value="{user}">
                <label>Password <input type=password name=password></label>
                <button>Sign in</button></form>"""
            )
        else:
            self._page("<h1>Not found</h1>", 404)

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        app = path.strip("/").partition("/")[0]
        form = self._form()
        if path == "/hang/login":
            self.server.release.wait(15)  # type: ignore[attr-defined]
            return
        if path == "/twostep2/identify":
            if form.get("username") == USER:
                self._redirect(f"/twostep2/password?user={quote(USER)}")
            else:
                error = "<p class=error role=alert>No account for that username.</p>"
                self._page(error + LOGIN_PAGES["twostep2"])
            return
        if path.endswith("/api/login"):
            if _accepts(app, form):
                self.send_response(200)
                self.send_header("Set-Cookie", f"session_{app}=ok; Path=/")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._page("no", 401)
            return
        if _accepts(app, form):
            self._redirect(f"/{app}/", cookie=f"session_{app}=ok")
        else:
            page = LOGIN_PAGES.get(app, "") if app != "twostep2" else ""
            self._page(f"<ul class=errorlist><li>{BAD_LOGIN}</li></ul>{page}")


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.release = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.release.set()  # type: ignore[attr-defined]
    server.shutdown()


@pytest.fixture(scope="module")
def chrome(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[asyncio.AbstractEventLoop, BrowserSession]]:
    """One Chromium for the module (its own event loop): starting one per test costs seconds."""
    loop = asyncio.new_event_loop()
    session = BrowserSession(Settings(home=tmp_path_factory.mktemp("qaforge-home")))
    loop.run_until_complete(session.start())
    yield loop, session
    loop.run_until_complete(session.close())
    loop.close()


Browser = tuple[asyncio.AbstractEventLoop, BrowserSession]


def run_login(
    chrome: Browser,
    url: str,
    *,
    user: str = USER,
    password: str = PASSWORD,
    timeout_ms: int = 10_000,
    screenshot: Path | None = None,
) -> tuple[Any, str]:
    """What the explorer does: a fresh anonymous context, `login_landing`, close."""
    loop, session = chrome

    async def go() -> tuple[Any, str]:
        ctx = await session.new_context(authenticated=False)
        try:
            return await login_landing(
                ctx, url, Credentials(user, password), timeout_ms, screenshot=screenshot
            )
        finally:
            await ctx.close()

    return loop.run_until_complete(go())


def login_fails(chrome: Browser, url: str, **kwargs: Any) -> str:
    with pytest.raises(LoginFailed) as info:
        run_login(chrome, url, **kwargs)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"login at {url} failed: ")
    assert PASSWORD not in message and WRONG not in message
    return message


@pytest.mark.parametrize(
    "app", ["hidden", "outside", "enter", "label", "twostep", "twostep2", "late", "spa", "formless"]
)
def test_login_variant_succeeds(chrome: Browser, site: str, app: str) -> None:
    state, landing = run_login(chrome, f"{site}/{app}/login")
    cookies = {c["name"]: c["value"] for c in state["cookies"]}
    assert cookies.get(f"session_{app}") == "ok", cookies
    assert urlsplit(landing).path == f"/{app}/"


def test_wrong_password_quotes_the_app_and_saves_a_screenshot(
    chrome: Browser, site: str, tmp_path: Path
) -> None:
    shot = tmp_path / "out" / "deep" / "login-failed.png"
    message = login_fails(chrome, f"{site}/hidden/login", password=WRONG, screenshot=shot)
    assert "still shown after submitting" in message and BAD_LOGIN in message
    assert f"screenshot: {shot}" in message
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_wrong_password_on_a_client_side_form(chrome: Browser, site: str) -> None:
    message = login_fails(chrome, f"{site}/spa/login", password=WRONG)
    assert "Invalid email or password." in message


def test_unknown_user_in_a_two_step_login(chrome: Browser, site: str) -> None:
    message = login_fails(chrome, f"{site}/twostep2/login", user="bob@example.com")
    assert "no password field appeared" in message and "No account for that username." in message


def test_page_without_password_field(chrome: Browser, site: str) -> None:
    started = time.monotonic()
    message = login_fails(chrome, f"{site}/nopw/login", timeout_ms=15_000)
    assert f"no password field on {site}/nopw/login" in message
    assert time.monotonic() - started < 12  # a settled page without a form is not waited out


def test_app_that_never_answers_the_login(chrome: Browser, site: str, tmp_path: Path) -> None:
    started = time.monotonic()
    shot = tmp_path / "hang.png"
    message = login_fails(chrome, f"{site}/hang/login", timeout_ms=6000, screenshot=shot)
    assert "timed out after 6 s" in message and shot.exists()
    assert "waiting for the app to answer the login" in message or "submitting" in message
    assert time.monotonic() - started < 6 + 8  # the login, then the screenshot
