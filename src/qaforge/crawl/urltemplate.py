"""URL templates: pages that differ only in data (`/items/1`, `/items/2`) share one template."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urldefrag, urljoin, urlsplit

_NUMERIC = re.compile(r"^\d+$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_HEX = re.compile(r"^(?=.*\d)[0-9a-f]{12,}$", re.I)
_SLUG_WITH_ID = re.compile(r"^\d+[-_].+|.+[-_]\d+$")


def _segment(seg: str) -> str:
    if _NUMERIC.match(seg):
        return "{id}"
    if _UUID.match(seg) or _HEX.match(seg):
        return "{uuid}"
    if _SLUG_WITH_ID.match(seg) and sum(c.isdigit() for c in seg) >= 1 and len(seg) > 12:
        return "{slug}"
    return seg


def url_template(url: str) -> str:
    """`/items/42?page=2&q=x` → `/items/{id}?page={page}&q={q}` (path data and query values out)."""
    url, fragment = urldefrag(url)
    parts = urlsplit(url)
    path = parts.path or "/"
    segs = [_segment(s) for s in path.split("/")]
    out = "/".join(segs) or "/"
    out += _query_template(parts.query)
    # Hash routes (`#/experiments/1?returnTo=%2F`) are pages of single-page apps: template
    # their path and query too.
    if fragment.startswith("/") or fragment.startswith("!/"):
        route, _, query = fragment.partition("?")
        out += "#" + "/".join(_segment(s) for s in route.split("/")) + _query_template(query)
    return out


def _query_template(query: str) -> str:
    """`b=2&a=1` → `?a={a}&b={b}` (empty for no query)."""
    keys = sorted({k for k, _ in parse_qsl(query, keep_blank_values=True)})
    return "?" + "&".join(f"{k}={{{k}}}" for k in keys) if keys else ""


def normalize_url(url: str) -> str:
    """Drop a plain `#anchor` (same page) but keep hash routes; sort the query."""
    base, fragment = urldefrag(url)
    parts = urlsplit(base)
    query = "&".join(f"{k}={v}" for k, v in sorted(parse_qsl(parts.query, keep_blank_values=True)))
    out = f"{parts.scheme}://{parts.netloc}{parts.path or '/'}"
    if query:
        out += "?" + query
    if fragment.startswith("/") or fragment.startswith("!/"):
        out += "#" + fragment
    return out


def origin_of(url: str) -> str:
    """`scheme://host:port` of `url` (the one place an origin is computed)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def resolve_on(base_url: str, ref: str) -> str:
    """`ref` (a path, a relative reference or a URL of the crawled app) on `base_url`'s server.

    Paths in a model and a suite are absolute paths of the app as crawled (`/demo/issue1`), so
    an app served under a sub-path keeps its prefix once: `http://h/demo/` + `/demo/` is
    `http://h/demo/`, never `http://h/demo/demo/`. A full URL keeps its path, query and hash
    and moves to `base_url`'s origin (the suite may run against another host).
    """
    parts = urlsplit(ref)
    if parts.scheme and parts.netloc:
        tail = parts.path or "/"
        tail += f"?{parts.query}" if parts.query else ""
        tail += f"#{parts.fragment}" if parts.fragment else ""
        return origin_of(base_url) + tail
    if ref.startswith("/"):
        return origin_of(base_url) + ref
    return urljoin(base_url if base_url.endswith("/") else base_url + "/", ref)
