"""URL discovery at HTTP speed: a breadth-first walk over the app's links with the browser's
own session cookies, before the browser spends its seconds where only a browser helps.

A browser state costs 1-2 s on 2 cores; one HTTP fetch of the same page costs milliseconds.
The walk reads links only (`<a href>`, `<area href>`), stays inside the crawl's scope, never
follows a link whose text or address looks destructive (log out, delete, ...), never follows a
redirect out of scope, and prefers a kind of page (URL template) it has not fetched yet over one
more instance of a known one. What it saw becomes `AppModel.pages`: each template's page-load
check in the generated suite. A link answered with a file to save (`Content-Disposition:
attachment`) is no page: its body is not read, and it is noted among `Discovery.downloads`.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit

import httpx

from qaforge.crawl.scope import Scope
from qaforge.crawl.urltemplate import normalize_url, url_template
from qaforge.models import HttpPage

# Files a link may point at that are no page of the app: fetching them exercises a static file
# server, not the application.
_STATIC = (
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp", ".bmp", ".css", ".js", ".map",
    ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".webm", ".ogg", ".wav",
    ".pdf", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".tar", ".dmg", ".exe",
)  # fmt: skip

_REDIRECTS = 5
_BREAKS = re.compile(r"[\t\r\n]")
# Pages in a row that sent the walk to the login page: its session has ended (a log-out link
# the deny list did not know), and what follows would only be more of the same.
_BOUNCES = 5


@dataclass(frozen=True)
class DiscoveryLimits:
    """How far the HTTP walk goes: pages, instances per template, seconds, parallel fetches."""

    max_pages: int = 400
    per_template: int = 8
    # Pages of one path (`/admin/auth/user/`) whatever their query: filters and sort orders
    # combine into thousands of addresses (Django's admin), most of them the same code.
    per_path: int = 24
    time_s: float = 45.0
    concurrency: int = 4
    timeout_s: float = 10.0
    # A page read stops here (a CSV export of a whole table): its links are not needed, and a
    # check that must read it all would be slow.
    max_bytes: int = 2_000_000


@dataclass
class Discovery:
    """What the walk fetched, in the order it fetched it, and why it stopped."""

    pages: list[HttpPage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Links (as linked) answered with a file to save: no page, and no page a browser opens.
    downloads: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    stopped_by: str = "frontier exhausted"

    @property
    def templates(self) -> int:
        """How many kinds of page (URL templates) answered."""
        return len({p.template for p in self.pages})


@dataclass
class _GetForm:
    action: str
    label: list[str] = field(default_factory=list)
    fields: list[tuple[str, str]] = field(default_factory=list)
    usable: bool = True
    select: str | None = None  # the name of the <select> being read
    chosen: str | None = None  # its selected (else first) option so far
    selected: bool = False
    textarea: str | None = None
    text: list[str] = field(default_factory=list)
    in_button: bool = False
    option_text: bool = False  # the chosen option has no value: its text is the value

    def href(self) -> str:
        """Where submitting it with its defaults goes (a GET form replaces the query)."""
        return self.action.split("#")[0].split("?")[0] + "?" + urlencode(self.fields)


class _Links(HTMLParser):
    """`<a>`/`<area>` targets with their text, GET forms as the address their defaults submit
    to, `<base href>` and the `<title>`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.base = ""
        self.title = ""
        self._in_title = False
        self._title_read = False
        self._svg = 0  # inside an <svg>: its <title> names an icon, not the page
        self._open: list[list[str]] = []  # [href, text...] of the anchors open now
        self._form: _GetForm | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "base" and a.get("href") and not self.base:
            self.base = a["href"]
        elif tag == "svg":
            self._svg += 1
        elif tag == "title":
            self._in_title = not self._svg and not self._title_read
        elif tag == "a" and "href" in a:
            self._open.append([a["href"], a.get("title", ""), a.get("aria-label", "")])
        elif tag == "area" and "href" in a:
            self.links.append((a["href"], a.get("alt", "")))
        elif tag == "form":
            get = a.get("method", "get").lower() == "get"
            self._form = _GetForm(a.get("action", ""), usable=get) if get else None
        elif self._form is not None:
            self._form_field(self._form, tag, a)

    def _form_field(self, form: _GetForm, tag: str, a: dict[str, str]) -> None:
        name, kind = a.get("name", ""), a.get("type", "text").lower()
        if tag == "input":
            if kind in {"password", "file"}:
                form.usable = False  # a login or an upload: never sent by GET
            elif kind in {"submit", "image", "button"}:
                form.label += [a.get("value", ""), a.get("aria-label", "")]
            elif (
                name
                and kind not in {"reset"}
                and (kind not in {"checkbox", "radio"} or "checked" in a)
            ):
                form.fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            form.select, form.chosen, form.selected = name, None, False
        elif tag == "option" and form.select is not None:
            form.option_text = False
            if "selected" in a or (form.chosen is None and not form.selected):
                value = a.get("value")
                form.chosen = value if value is not None else ""
                form.option_text = value is None
                form.selected = form.selected or "selected" in a
        elif tag == "textarea" and name:
            form.textarea, form.text = name, []
        elif tag == "button":
            form.label += [a.get("value", ""), a.get("aria-label", "")]
            form.in_button = True

    def handle_endtag(self, tag: str) -> None:
        form = self._form
        if tag == "title":
            self._title_read = self._title_read or self._in_title
            self._in_title = False
        elif tag == "svg":
            self._svg = max(0, self._svg - 1)
        elif tag == "a" and self._open:
            href, *text = self._open.pop()
            self.links.append((href, " ".join(t for t in text if t).strip()))
        elif form is not None and tag == "button":
            form.in_button = False
        elif form is not None and tag == "option":
            form.option_text = False
        elif form is not None and tag == "select" and form.select is not None:
            form.fields.append((form.select, form.chosen or ""))
            form.select = None
        elif form is not None and tag == "textarea" and form.textarea is not None:
            form.fields.append((form.textarea, "".join(form.text)))
            form.textarea = None
        elif tag == "form" and form is not None:
            if form.usable:
                self.links.append((form.href(), " ".join(t for t in form.label if t).strip()))
            self._form = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        for anchor in self._open:
            anchor.append(data.strip())
        form = self._form
        if form is not None:
            if form.textarea is not None:
                form.text.append(data)
            elif form.in_button:
                form.label.append(data.strip())
            elif form.option_text:
                form.chosen = (form.chosen or "") + data.strip()


def parse_links(html: str) -> tuple[list[tuple[str, str]], str, str]:
    """(links as (href, text), base href, title) of an HTML document; never raises."""
    parser = _Links()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # a broken page still gives what was read
        pass
    for href, *text in parser._open:  # anchors never closed
        parser.links.append((href, " ".join(t for t in text if t).strip()))
    return parser.links, parser.base, " ".join(parser.title.split())


def cookie_jar(cookies: list[dict[str, Any]], host: str) -> httpx.Cookies:
    """httpx cookies for `host` from a browser context's cookies (its storage state).

    Set without a domain: the walk never leaves the app's origin, and the standard library's
    cookie rules never send a `localhost` cookie to `localhost` (they expect a dot in it)."""
    jar = httpx.Cookies()
    for c in cookies:
        name, value = c.get("name"), c.get("value")
        if not isinstance(name, str) or not isinstance(value, str):
            continue
        domain = str(c.get("domain") or "").lstrip(".").lower()
        if domain and host != domain and not host.endswith("." + domain):
            continue  # another site's cookie: not the app's to see
        jar.set(name, value, domain="", path=str(c.get("path") or "/"))
    return jar


def is_attachment(content_disposition: str) -> bool:
    """Whether a `Content-Disposition` header asks to save the answer as a file."""
    return content_disposition.split(";", 1)[0].strip().lower() == "attachment"


def is_static(url: str) -> bool:
    """Whether `url` names an image, style sheet, script, font, media file or archive."""
    return urlsplit(url).path.lower().endswith(_STATIC)


@dataclass(order=True)
class _Item:
    # 0: a new path; 1: a known path with a query key not seen on it yet; then how many
    # pages of its path are queued already. New kinds of page first, then new parameters.
    known: int
    depth: int
    seq: int
    url: str = field(compare=False)
    text: str = field(compare=False, default="")


class _Walk:
    def __init__(
        self,
        client: httpx.AsyncClient,
        scope: Scope,
        limits: DiscoveryLimits,
        login_path: str | None,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.client = client
        self.scope = scope
        self.limits = limits
        self.login_path = login_path
        self.progress = progress
        self.out = Discovery()
        self.queue: list[_Item] = []
        self.seen: set[str] = set()
        self.per_template: dict[str, int] = {}
        self.per_path: dict[str, int] = {}
        self.path_keys: dict[str, set[str]] = {}
        self.seq = 0
        self.busy = 0
        self.taken = 0
        self.bounced = 0
        self.wake = asyncio.Event()

    def offer(self, url: str, text: str, depth: int) -> None:
        url = urldefrag(url)[0]
        if not self.scope.allows_url(url) or is_static(url):
            return
        if self.scope.is_destructive(text, url):
            return
        # Recognised by its normal form (query sorted), fetched as linked: the normal form
        # decodes the query, and `?q=a%26b` must stay one parameter.
        key = normalize_url(url)
        if key in self.seen:
            return
        if self.login_path and urlsplit(url).path == self.login_path:
            return  # the login page logs nobody in twice; a GET of it may end the session
        template = url_template(url)
        path = template.split("?")[0]
        count = self.per_template.get(template, 0)
        on_path = self.per_path.get(path, 0)
        if count >= self.limits.per_template or on_path >= self.limits.per_path:
            return
        keys = {k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
        seen_keys = self.path_keys.setdefault(path, set())
        known = 0 if not on_path else 1 if keys - seen_keys else 2 + on_path
        seen_keys |= keys
        self.seen.add(key)
        self.per_template[template] = count + 1
        self.per_path[path] = on_path + 1
        self.seq += 1
        heapq.heappush(self.queue, _Item(known, depth, self.seq, url, text))
        self.wake.set()

    async def fetch(self, item: _Item) -> None:
        url = item.url
        try:
            got = await self._get(url)
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            self.out.errors.append(f"GET {url}: {type(exc).__name__} {exc}".strip())
            return
        if got is None:
            self.out.downloads.append(url)
            return
        page, body = got
        self.bounced = self.bounced + 1 if page.to_login else 0
        page.linked_as = item.text[:80]
        # One parse of the page gives its title and its links.
        links, base, title = parse_links(body) if body is not None else ([], "", "")
        # A title longer than this is not asserted: it is content, not a name.
        page.title = title if len(title) <= 200 else ""
        self.out.pages.append(page)
        if self.progress:
            self.progress(len(self.out.pages))
        if page.status is None or page.status >= 400:
            return
        where = urljoin(page.final_url, base) if base else page.final_url
        for href, text in links:
            # As a browser reads an href: tabs and line breaks inside it are dropped.
            href = _BREAKS.sub("", href).strip()
            if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
                continue
            try:
                target = urljoin(where, href)
            except ValueError:
                continue  # `http://[x`: no address at all
            self.offer(target, text, item.depth + 1)

    async def _get(self, url: str) -> tuple[HttpPage, str | None] | None:
        """The page at `url` (redirects followed inside the scope) and its HTML; None when it
        is a file to save (its body is not read)."""
        current = url
        for _ in range(_REDIRECTS + 1):
            async with self.client.stream("GET", current) as r:
                if r.is_redirect:
                    nxt = urljoin(current, r.headers.get("location", ""))
                    if not self.scope.allows_url(nxt):
                        return self._page(url, current, r, "", redirected_out=True), None
                    if self.login_path and urlsplit(nxt).path == self.login_path:
                        return self._page(url, nxt, r, "", to_login=True), None
                    current = nxt
                    continue
                if r.status_code < 400 and is_attachment(r.headers.get("content-disposition", "")):
                    return None
                chunks: list[bytes] = []
                size = 0
                complete = True
                async for chunk in r.aiter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > self.limits.max_bytes:
                        complete = False
                        break
                raw = b"".join(chunks)
                ctype = r.headers.get("content-type", "")
                html = "html" in ctype.lower()
                text = raw.decode(r.encoding or "utf-8", errors="replace") if html else None
                page = self._page(url, current, r, ctype)
                page.bytes = size
                page.complete = complete
                return page, text
        raise httpx.TooManyRedirects(f"more than {_REDIRECTS} redirects")

    @staticmethod
    def _page(
        url: str,
        final: str,
        r: httpx.Response,
        ctype: str,
        redirected_out: bool = False,
        to_login: bool = False,
    ) -> HttpPage:
        return HttpPage(
            url=url,
            template=url_template(url),
            status=None if (redirected_out or to_login) else r.status_code,
            final_url=final,
            content_type=ctype.split(";")[0].strip().lower(),
            to_login=to_login,
        )

    async def worker(self, deadline: float) -> None:
        while True:
            if time.monotonic() >= deadline:
                self.out.stopped_by = "time-budget"
                return
            if self.bounced >= _BOUNCES:
                self.out.stopped_by = "session lost"
                return
            full = self.taken >= self.limits.max_pages
            if full or not self.queue:
                if not self.busy:
                    if full:
                        self.out.stopped_by = "max-pages"
                    return  # nothing more to fetch and nobody fetching: the walk is over
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), max(0.01, deadline - time.monotonic()))
                continue
            item = heapq.heappop(self.queue)
            self.taken += 1
            self.busy += 1
            try:
                await self.fetch(item)
            finally:
                self.busy -= 1
                self.wake.set()


async def discover(
    start_urls: list[str],
    scope: Scope,
    *,
    cookies: list[dict[str, Any]] | None = None,
    auth: tuple[str, str] | None = None,
    login_path: str | None = None,
    limits: DiscoveryLimits | None = None,
    progress: Callable[[int], None] | None = None,
) -> Discovery:
    """Walk the app's links from `start_urls` at HTTP speed, as the browser session would."""
    limits = limits or DiscoveryLimits()
    started = time.monotonic()
    deadline = started + limits.time_s
    timeout = httpx.Timeout(limits.timeout_s)
    async with httpx.AsyncClient(
        timeout=timeout,
        auth=auth,
        cookies=cookie_jar(cookies or [], (urlsplit(start_urls[0]).hostname or "").lower()),
        follow_redirects=False,
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    ) as client:
        walk = _Walk(client, scope, limits, login_path, progress)
        for url in start_urls:
            walk.offer(url, "start", 0)
        workers = [asyncio.create_task(walk.worker(deadline)) for _ in range(limits.concurrency)]
        try:
            # The workers watch the deadline between fetches; a fetch in flight gets its
            # own timeout on top, then the walk ends whatever it was doing.
            done, pending = await asyncio.wait(workers, timeout=limits.time_s + limits.timeout_s)
            for task in pending:
                task.cancel()
            if pending:
                walk.out.stopped_by = "time-budget"
            for task in done:
                exc = task.exception()
                if exc is not None:
                    walk.out.errors.append(f"the HTTP walk stopped: {type(exc).__name__} {exc}")
        finally:
            for task in workers:
                task.cancel()
            # Let the cancelled fetches close their streams before the client does.
            await asyncio.gather(*workers, return_exceptions=True)
    walk.out.duration_s = round(time.monotonic() - started, 3)
    return walk.out
