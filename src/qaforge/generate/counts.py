"""The counts oracle's pattern: a text that states at least as many things as the crawl read.

A page that says "200 rows" may say "201 rows" once a test has added one, but never "199"
unless the app lost a row. Playwright has no "number at least" assertion that waits, so the
check is a regular expression that matches the count text with any number >= the one seen,
written with or without thousands separators; `expect(...).to_be_visible()` then retries it
like every other check.
"""

from __future__ import annotations

import re

from qaforge.crawl.stability import count_of
from qaforge.models import State


def at_least(n: int) -> str:
    """A regular expression (no anchors) for the integers >= `n`, commas allowed between
    groups of three digits ("1,234")."""
    s = str(max(0, n))
    width = len(s)

    def sep(i: int) -> str:
        # A thousands separator may follow the digit with a multiple of three digits after it.
        after = width - i - 1
        return ",?" if after and after % 3 == 0 else ""

    alts = ["".join(d + sep(i) for i, d in enumerate(s))]
    for i, d in enumerate(s):
        if d == "9":
            continue
        low = int(d) + 1
        cls = "9" if low == 9 else f"[{low}-9]"
        head = "".join(s[j] + sep(j) for j in range(i))
        tail = "".join(r"\d" + sep(j) for j in range(i + 1, width))
        alts.append(head + cls + sep(i) + tail)
    # Any number with more digits.
    alts.append(rf"[1-9](?:,?\d){{{width},}}")
    return "(?:" + "|".join(alts) + ")"


def count_pattern(text: str) -> str | None:
    """The anchored pattern for "`text`'s count or more" ("200 rows" → 200, 201, ... rows);
    None when `text` states no count."""
    found = count_of(text)
    if found is None:
        return None
    n, noun = found
    words = noun.split()
    # "1 row" becomes "2 rows", and "1 entry" "2 entries": the last word in either number.
    last = "(?:" + "|".join(re.escape(w) for w in noun_forms(words[-1])) + ")"
    nouns = r"\s+".join([*(re.escape(w) for w in words[:-1]), last])
    return rf"^\W*{at_least(n)}\s+{nouns}\W*$"


# A list this long may be one page of a longer one (the common page sizes).
_PAGE_SIZES = frozenset({10, 20, 25, 50, 100})
_NEXT = re.compile(r"^\W*(next|next page|older|more|show more|load more|›|»|>)\W*$", re.I)


def pages_its_list(state: State) -> bool:
    """Whether `state`'s list may be a page of a longer one: a next-page control, or exactly
    a common page size of rows."""
    if state.row_count in _PAGE_SIZES:
        return True
    return any(
        _NEXT.match(e.name or e.text or "") or e.attributes.get("rel") == "next"
        for e in state.elements
    )


def states_rows(text: str, rows: int) -> bool:
    """Whether `text` states a count equal to `rows` (> 0): the relations oracle's premise."""
    found = count_of(text)
    return found is not None and rows > 0 and found[0] == rows


_SIBILANT = ("s", "x", "z", "ch", "sh")


def noun_forms(word: str) -> tuple[str, str]:
    """An English count noun in the singular and the plural, from either ("entries" →
    entry, entries; "box" → box, boxes; "rows" → row, rows)."""
    low = word.lower()
    if low.endswith("ies") and len(word) > 3:
        singular = word[:-3] + ("Y" if word[-3].isupper() else "y")
    elif low.endswith(tuple(e + "es" for e in _SIBILANT)):
        singular = word[:-2]
    elif low.endswith("s") and not low.endswith("ss"):
        singular = word[:-1]
    else:
        singular = word
    low = singular.lower()
    if low.endswith("y") and len(low) > 1 and low[-2] not in "aeiou":
        plural = singular[:-1] + ("IES" if singular.isupper() else "ies")
    elif low.endswith(_SIBILANT):
        plural = singular + ("ES" if singular.isupper() else "es")
    else:
        plural = singular + ("S" if singular.isupper() else "s")
    return singular, plural


def count_phrase(text: str) -> str:
    """`text`'s count in plain words ("200 rows"), fit for a comment: digits, letters, spaces."""
    found = count_of(text)
    return f"{found[0]} {' '.join(found[1].split())}" if found else ""
