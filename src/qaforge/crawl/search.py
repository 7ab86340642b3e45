"""Search forms and the terms a search oracle sends: a listed item's text, or one nothing has."""

from __future__ import annotations

import re

from qaforge.crawl.stability import is_own_record, is_volatile_text
from qaforge.models import Form, FormField

_SEARCH_NAMES = {"q", "s", "query", "search", "keyword", "keywords", "term", "terms", "_search"}
# Texts that name no item: numbers, prices, yes/no.
_NOT_A_TERM = re.compile(r"^[\d\s.,:/%+\-–$€£]*$|^(yes|no|true|false|none|-+|—)$", re.I)


def search_field(form: Form) -> FormField | None:
    """The text field of a GET form that searches (one free-text input: q, search, type=search)."""
    if form.method.lower() != "get":
        return None
    texts = [f for f in form.fields if f.type in {"text", "search", ""} and f.tag != "textarea"]
    if len(texts) != 1:
        return None
    f = texts[0]
    words = f"{f.name} {f.label} {f.placeholder}".lower()
    if f.type == "search" or f.name.lower() in _SEARCH_NAMES or "search" in words:
        return f
    return None


def search_terms(rows: list[list[str]], limit: int = 2) -> list[str]:
    """Up to `limit` texts of the first listed item worth searching for, one per column.

    One per column because apps search several fields (a title and an author's name) and a
    regression can drop one of them."""
    for row in rows:
        if any(is_own_record(c) for c in row):
            continue  # an item the crawl itself created: gone when the app is reset
        out: list[str] = []
        for cell in row:
            text = cell.strip()
            if (
                3 <= len(text) <= 60
                and not _NOT_A_TERM.match(text)
                and not is_volatile_text(text)
                and text not in out
            ):
                out.append(text)
            if len(out) >= limit:
                break
        if out:
            return out
    return []


def listed_texts(rows: list[list[str]]) -> list[str]:
    """Every text of the listed rows that could identify an item (for the "finds nothing" check)."""
    return [
        c
        for r in rows
        for c in r
        if 3 <= len(c) <= 80 and not _NOT_A_TERM.match(c) and not is_own_record(c)
    ]
