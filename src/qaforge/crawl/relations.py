"""Relations the crawl can check in a page's numbers: a total that is the sum of a column.

A cart shows line totals and a total; an invoice shows amounts and a sum. When one money
amount on the page labelled "total" equals the sum of one column of the page's data table,
on both visits, the tests that reach that page assert the sum again for the rows they
produced. Money only (a decimal point or a currency sign): a bare "2 total" beside a column
of small numbers matches by chance too easily.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from qaforge.models import State, SumRelation

# A money amount standing alone: "$12.00", "12.00 €", "-3.50", "£1,234".
_AMOUNT = re.compile(r"^\s*-?[$€£¥]?\s*-?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?\s*(€|EUR|USD)?\s*$")
_MONEY_MARK = re.compile(r"[$€£¥.]|EUR|USD")
_TOTAL = re.compile(r"\b(sub)?total\b", re.I)
# One amount inside a longer text ("Total: $12.00"): the label before it and the amount.
_LABELLED = re.compile(
    r"^(?P<label>[^\d$€£¥-]*?)\s*(?P<amount>-?[$€£¥]?\s*[\d,]+(\.\d{1,2})?\s*€?)\s*$"
)


def amount(text: str) -> float | None:
    """The value of a money amount standing alone ("$1,234.50" → 1234.5); None otherwise."""
    if not _AMOUNT.match(text) or not _MONEY_MARK.search(text):
        return None
    return float(re.sub(r"[^\d.-]", "", text))


def _labelled_total(text: str) -> tuple[str, float] | None:
    m = _LABELLED.match(text)
    if m is None or not _TOTAL.search(m.group("label")):
        return None
    value = amount(m.group("amount"))
    return (m.group("label").strip(), value) if value is not None else None


def find_sum(state: State, texts: Iterable[str]) -> SumRelation | None:
    """The column of `state`'s data table whose amounts add up to a total among `texts`.

    Every row must have been read (a paged table's visible rows need not add up to the
    whole), and the total must be more than nothing. When several columns add up (one line
    of quantity 1: its price and its line total), the rightmost, where line totals stand.
    """
    if state.rows_from != "table" or not state.rows or len(state.rows) != state.row_count:
        return None
    totals = [(t, found) for t in texts if (found := _labelled_total(t)) is not None]
    width = min(len(r) for r in state.rows)
    for text, (label, total) in totals:
        if not label or abs(total) < 0.005:
            continue
        for column in reversed(range(width)):
            values = [amount(r[column]) for r in state.rows]
            if any(v is None for v in values):
                continue
            if abs(sum(v for v in values if v is not None) - total) < 0.005:
                return SumRelation(column=column, label=label, total=text)
    return None
