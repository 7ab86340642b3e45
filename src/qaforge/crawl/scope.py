"""What the crawler may visit and press: same origin, include/exclude patterns, no destruction."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_DENY = (
    "log out",
    "logout",
    "log-out",
    "log_out",
    "log off",
    "logoff",
    "log-off",
    "sign out",
    "signout",
    "sign-out",
    "sign_out",
    "delete",
    "remove",
    "destroy",
    "unsubscribe",
    "pay",
    "cancel subscription",
    "deactivate",
    "drop",
    "purge",
    "reset",
)


def origin(url: str) -> str:
    """scheme://host:port of `url`."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}".lower()


# A heading that says the page (or a panel open on it) sets up the app itself. Its controls
# change the app for every later visit: TiddlyWiki's Control Panel has "retain story
# ordering", which makes every fresh visit reopen all the crawl opened, and every test
# written before it then finds each toolbar button many times over.
_SETTINGS_HEADING = re.compile(
    r"(^|[^a-z])(settings|preferences|configuration)([^a-z]|$)|control\s*panel", re.I
)


def is_settings_page(headings: list[str]) -> bool:
    """Whether a page shows the app's own settings (by a heading such as "Settings")."""
    return any(_SETTINGS_HEADING.search(h) for h in headings)


def is_own_server_error(app_origin: str, resource_type: str, url: str, status: int) -> bool:
    """Whether a response is the app's own API call answering a server error (5xx)."""
    return status >= 500 and resource_type in {"fetch", "xhr"} and origin(url) == app_origin


def server_error_text(method: str, url: str, status: int) -> str:
    """How a failed API call reads among a page's errors (the same words in generated tests)."""
    return f"server error: {method} {url} answered {status}"


@dataclass(frozen=True)
class Scope:
    """The crawl's boundary: origin, include/exclude regexes and a deny list of labels."""

    origin: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    deny_labels: tuple[str, ...] = DEFAULT_DENY
    allow_destructive: bool = False
    _inc: tuple[re.Pattern[str], ...] = field(default=(), repr=False, compare=False)
    _exc: tuple[re.Pattern[str], ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def build(
        cls,
        start_url: str,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        deny_labels: list[str] | None = None,
        allow_destructive: bool = False,
    ) -> Scope:
        """A scope for `start_url`; raises ValueError on a malformed regex."""
        inc = tuple(include or ())
        exc = tuple(exclude or ())
        try:
            inc_re = tuple(re.compile(p) for p in inc)
            exc_re = tuple(re.compile(p) for p in exc)
        except re.error as e:
            raise ValueError(f"invalid --include/--exclude pattern: {e}") from e
        deny = DEFAULT_DENY + tuple(d.lower() for d in (deny_labels or ()))
        return cls(origin(start_url), inc, exc, deny, allow_destructive, inc_re, exc_re)

    def allows_url(self, url: str) -> bool:
        """Whether `url` is inside the crawl's scope."""
        if not url.startswith(("http://", "https://")):
            return False
        if origin(url) != self.origin:
            return False
        if self._inc and not any(p.search(url) for p in self._inc):
            return False
        return not any(p.search(url) for p in self._exc)

    def may_press_on(self, headings: list[str]) -> bool:
        """Whether the crawl may press buttons and submit forms on a page with `headings`
        (not on the app's settings, unless destruction is allowed)."""
        return self.allow_destructive or not is_settings_page(headings)

    def is_destructive(self, *labels: str) -> bool:
        """Whether any of an element's labels (name, text, href, id) looks destructive."""
        if self.allow_destructive:
            return False
        for label in labels:
            low = label.lower()
            for deny in self.deny_labels:
                if re.search(rf"(^|[^a-z]){re.escape(deny)}([^a-z]|$)", low):
                    return True
        return False
