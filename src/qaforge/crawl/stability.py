"""Texts and names a test must not rely on: they change with time, data or the app's state.

Two visits a few seconds apart do not reveal a relative time ("28 minutes ago") or a name that
carries state ("Toggle theme (current theme: light)"), so the model is also read as a whole:
the same control showing different names across states is unstable, and so is any text that
looks like a time, a date or a counter. Unstable names lose their name-based locators and
leave `stable_texts`, so no generated test asserts them or finds a control by them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from qaforge.crawl.urltemplate import normalize_url
from qaforge.models import LocatorStrategy, State, Transition

UNSTABLE = "unstable-name"
_MONTHS = (
    r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?"
    r"|oct(ober)?|nov(ember)?|dec(ember)?"
)
_VOLATILE = [
    # Relative times: "5 minutes ago", "in 3 days", "just now", "yesterday".
    re.compile(
        r"\b(\d+|an?|one)\s+(sec(ond)?|min(ute)?|hour|hr|day|week|month|year)s?\s+ago\b", re.I
    ),
    re.compile(r"\bin\s+\d+\s+(sec(ond)?|min(ute)?|hour|day|week|month|year)s?\b", re.I),
    re.compile(r"\b(just now|yesterday|today|tomorrow|moments? ago)\b", re.I),
    # Dates and times: 2026-12-01, 01/12/2026, 1 Dec 2026, Dec 1, 14:05.
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"),
    re.compile(
        rf"\b\d{{1,2}}(st|nd|rd|th)?\s+({_MONTHS})\.?\b|\b({_MONTHS})\.?\s+\d{{1,2}}(st|nd|rd|th)?\b",
        re.I,
    ),
    re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b"),
    # Counters in brackets: "Inbox (12)", "Cart [4]".
    re.compile(r"\(\d+\)|\[\d+\]"),
    # Session-ish tokens: long hex or mixed runs.
    re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{12,}\b", re.I),
]
# What the crawl itself typed (qa-<token>, qa_<token>, qa.<token>@...): a record it made, shown
# in a "recent actions" list until newer ones push it out, gone when the app is reset.
_OWN_RECORD = re.compile(r"\bqa[-_.][0-9a-f]{6,}", re.I)
# A number standing alone is a counter as a text ("3" items in the cart) but a fine name for
# a control (page "2" of a pager), so it only keeps a text out of assertions.
_BARE_NUMBER = re.compile(r"^\W*\d+\W*$")
# A count of things as a whole text ("2 total", "10 results", "0 of 2 selected"): it changes
# as soon as anyone (the crawl, an earlier test) adds a record.
_COUNT = re.compile(r"^\W*\d[\d,.]*\s+(of\s+\d[\d,.]*\s+)?[a-z]+(\s+[a-z]+)?\W*$", re.I)
# A count the counts oracle can hold an app to: a whole number and a noun or two, not a
# duration ("3 seconds" falls as well as rises) and not a part of a whole ("0 of 2 selected").
_PLAIN_COUNT = re.compile(r"^\W*(\d{1,3}(?:,\d{3})+|\d+)\s+([a-z]+(?:\s+[a-z]+)?)\W*$", re.I)
_DURATION = re.compile(
    r"^(ms|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|days?|weeks?|months?|years?)\b", re.I
)
_SITE_WIDE = {"header", "banner", "nav", "navigation", "footer", "contentinfo"}
_NAME_LOCATORS = {LocatorStrategy.ROLE, LocatorStrategy.TEXT}
_WORD = re.compile(r"[a-z]+")


def is_volatile_text(text: str) -> bool:
    """Whether `text` looks like a time, a date, a counter, a count or a session token."""
    return bool(_BARE_NUMBER.match(text) or _COUNT.match(text)) or is_volatile_name(text)


def is_volatile_name(name: str) -> bool:
    """Whether a control's name carries a time, a date, a bracketed counter or a token."""
    return is_own_record(name) or any(p.search(name) for p in _VOLATILE)


def is_own_record(text: str) -> bool:
    """Whether `text` shows a value the crawl itself typed (a record it created)."""
    return bool(_OWN_RECORD.search(text))


def count_of(text: str) -> tuple[int, str] | None:
    """The number and noun of a text that is a count of things ("1,234 rows" → 1234, "rows");
    None for anything else, and for a count of nothing, which no data can fall below."""
    m = _PLAIN_COUNT.match(text)
    if m is None or _DURATION.match(m.group(2)) or m.group(2).lower().startswith("of "):
        return None
    n = int(m.group(1).replace(",", ""))
    return (n, m.group(2)) if n > 0 else None


def _first_word(name: str) -> str:
    m = _WORD.search(name.lower())
    return m.group(0) if m else ""


def unstable_names(states: Iterable[State]) -> set[tuple[str, ...]]:
    """Identities of controls seen with different names (that still share their first word).

    A control is the same when its role, tag, identifying attributes and place in its
    landmark agree; within one URL, or anywhere for site-wide landmarks (header, nav, footer).
    Names that share no first word are different controls in the same place (a menu that
    differs per page), not one control whose name carries state.
    """
    names: dict[tuple[str, ...], set[str]] = {}
    for state in states:
        for el in state.elements:
            names.setdefault(_identity(state, el.role, el.tag, el.attributes), set()).add(el.name)
    out: set[tuple[str, ...]] = set()
    for key, seen in names.items():
        if len(seen) > 1 and len({_first_word(n) for n in seen}) == 1:
            out.add(key)
    return out


def _identity(state: State, role: str, tag: str, attrs: dict[str, str]) -> tuple[str, ...]:
    landmark = attrs.get("landmark", "")
    site_wide = landmark.split(":", 1)[0] in _SITE_WIDE
    where = "*" if site_wide else normalize_url(state.url)
    keys = ("id", "name", "data-testid", "type", "aria-controls")
    return (where, role, tag, landmark, *(f"{k}={attrs.get(k, '')}" for k in keys))


def stem(name: str) -> str:
    """The part of a stateful name that does not carry the state: `Toggle theme (current
    theme: light)` → `Toggle theme`."""
    cut = re.split(r"\s*[(\[:]", name, maxsplit=1)[0].strip()
    return cut or name


def mark_unstable(states: list[State], transitions: Iterable[Transition] = ()) -> int:
    """Drop name-based locators and stable texts that cannot be relied on; how many controls.

    Actions on such controls keep only the stable part of their label, so a scenario's title
    does not name one state of the control."""
    unstable = unstable_names(states)
    marked = 0
    for state in states:
        drop: set[str] = set()
        for el in state.elements:
            key = _identity(state, el.role, el.tag, el.attributes)
            if key not in unstable and not (el.name and is_volatile_name(el.name)):
                continue
            marked += 1
            el.attributes[UNSTABLE] = "true"
            el.locators = [c for c in el.locators if c.strategy not in _NAME_LOCATORS]
            drop.add(el.name)
        # Counts leave the texts asserted as they are, but a fresh page states at least as
        # many (data the tests add only raises them): the counts oracle keeps them apart.
        counts = [
            t
            for t in state.stable_texts
            if t not in drop and not is_own_record(t) and count_of(t) is not None
        ]
        state.counts = list(dict.fromkeys([*state.counts, *counts]))[:5]
        state.stable_texts = [
            t for t in state.stable_texts if t not in drop and not is_volatile_text(t)
        ]
    by_id = {s.id: s for s in states}
    for t in transitions:
        source = by_id.get(t.source)
        acted = source.element(t.action.element_id or "") if source else None
        if acted is not None and acted.attributes.get(UNSTABLE) and t.action.label:
            t.action.label = stem(t.action.label)
    return marked
