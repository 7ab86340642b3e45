"""The naive baseline crawler: breadth-first over `<a href>` links with httpx.

No browser, no forms, no JavaScript, same origin. qaforge's figures are compared with it in
the same benchmark run.
"""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from qaforge.crawl.urltemplate import url_template


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)
        elif tag == "form":
            self.forms += 1


@dataclass
class BaselineResult:
    pages: list[tuple[str, int]] = field(default_factory=list)  # (url, status)
    edges: int = 0
    form_keys: set[tuple[str, int]] = field(default_factory=set)
    seconds: float = 0.0

    @property
    def forms(self) -> int:
        return len(self.form_keys)

    @property
    def templates(self) -> int:
        return len({url_template(u) for u, s in self.pages if s < 400})

    @property
    def states(self) -> int:
        return sum(1 for _, s in self.pages if s < 400)


def crawl_links(
    start: str,
    max_pages: int = 60,
    auth: tuple[str, str] | None = None,
    cookies: dict[str, str] | None = None,
    exclude: str = r"logout|log-out|signout|delete",
    fetches: int = 1,
) -> BaselineResult:
    """Breadth-first over same-origin links; returns each page fetched with its status.

    `fetches` > 1 requests every page that many times (a crawler checking it answers the same)."""
    t0 = time.monotonic()
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(start))
    seen = {urldefrag(start)[0]}
    queue = deque([start])
    result = BaselineResult()
    deny = re.compile(exclude, re.I)
    with httpx.Client(follow_redirects=True, timeout=10, auth=auth, cookies=cookies) as client:
        while queue and len(result.pages) < max_pages:
            url = queue.popleft()
            try:
                r = client.get(url)
                for _ in range(fetches - 1):
                    client.get(url)
            except httpx.HTTPError:
                result.pages.append((url, 599))
                continue
            result.pages.append((url, r.status_code))
            if "html" not in r.headers.get("content-type", ""):
                continue
            parser = _Links()
            parser.feed(r.text)
            result.form_keys |= {(url_template(str(r.url)), i) for i in range(parser.forms)}
            for href in parser.links:
                nxt = urldefrag(urljoin(str(r.url), href))[0]
                if not nxt.startswith(origin) or deny.search(nxt):
                    continue
                result.edges += 1
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
    result.seconds = time.monotonic() - t0
    return result
