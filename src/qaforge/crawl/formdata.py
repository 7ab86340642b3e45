"""Test data that forms accept: values from a field's type, name, label, pattern and bounds.

Valid values satisfy every constraint the field declares; `unique` makes values unique per run
where uniqueness matters (emails, usernames). Invalid values break exactly one constraint, for
negative tests. `placeholder_for` names values generated tests must compute at run time.
"""

from __future__ import annotations

import re
import re._constants as sre_c
import re._parser as sre_parse
from decimal import Decimal, InvalidOperation
from typing import Any

from qaforge.models import FormField

_PRINTABLE = "abcdefghijklmnopqrstuvwxyz"


# The password new accounts get: strong, and sharing nothing with the username or e-mail (apps
# such as Django refuse a password too similar to the username).
TEST_PASSWORD = "Vq7#Lm2!Zt9&Kw4"


def _kind(field: FormField) -> str:
    """The semantic kind of a field, from its type first, then its name and label."""
    t = field.type.lower()
    if t in {"email", "tel", "url", "number", "date", "time", "datetime-local", "month", "week"}:
        return t
    if t in {"checkbox", "radio", "select", "password", "color", "range", "search", "file"}:
        return t
    words = f"{field.name} {field.label} {field.placeholder}".lower()
    for key, kind in (
        ("e-mail", "email"),
        ("email", "email"),
        ("phone", "tel"),
        ("mobile", "tel"),
        ("password", "password"),
        ("user", "username"),
        ("login", "username"),
        ("first", "first_name"),
        ("last", "last_name"),
        ("full", "full_name"),
        ("name", "name"),
        ("zip", "postcode"),
        ("postcode", "postcode"),
        ("postal", "postcode"),
        ("city", "city"),
        ("street", "street"),
        ("address", "street"),
        ("url", "url"),
        ("website", "url"),
        ("search", "search"),
        ("query", "search"),
        ("price", "price"),
        ("amount", "price"),
        ("quantity", "quantity"),
        ("qty", "quantity"),
        ("message", "message"),
        ("comment", "message"),
        ("subject", "subject"),
        ("title", "subject"),
    ):
        if key in words:
            return kind
    if field.name in {"q", "s"}:
        return "search"
    if field.tag == "textarea":
        return "message"
    return "text"


def _from_pattern(pattern: str) -> str | None:
    """The shortest plain string matching `pattern` (anchored), or None if too exotic."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None

    def gen(items: Any) -> str:
        out = []
        for op, arg in items:
            if op is sre_c.LITERAL:
                out.append(chr(arg))
            elif op is sre_c.ANY:
                out.append("a")
            elif op is sre_c.IN:
                out.append(_from_class(arg))
            elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
                lo, _hi, sub = arg
                out.append(gen(sub) * max(lo, 0))
            elif op is sre_c.SUBPATTERN:
                out.append(gen(arg[-1]))
            elif op is sre_c.BRANCH:
                out.append(gen(arg[1][0]))
            elif op is sre_c.AT:
                continue
            else:
                raise ValueError(op)
        return "".join(out)

    try:
        value = gen(parsed)
    except ValueError:
        return None
    return value if re.fullmatch(pattern, value) else None


def _from_class(items: Any) -> str:
    for op, arg in items:
        if op is sre_c.NEGATE:
            return "a" if not re.match(_negated(items), "a") else "0"
        if op is sre_c.LITERAL:
            return chr(arg)
        if op is sre_c.RANGE:
            lo, hi = arg
            for pref in ("a", "0", "A"):
                if lo <= ord(pref) <= hi:
                    return pref
            return chr(lo)
        if op is sre_c.CATEGORY:
            if arg is sre_c.CATEGORY_DIGIT:
                return "1"
            if arg is sre_c.CATEGORY_SPACE:
                return " "
            return "a"
    return "a"


def _negated(items: Any) -> str:
    return "[^" + "".join(chr(a) for op, a in items if op is sre_c.LITERAL) + "]"


def _fit_length(value: str, field: FormField, filler: str = "x") -> str:
    if field.minlength and len(value) < field.minlength:
        value = value + filler * (field.minlength - len(value))
    if field.maxlength and len(value) > field.maxlength:
        value = value[: field.maxlength]
    return value


def _number(field: FormField) -> str:
    def dec(v: str | None) -> Decimal | None:
        try:
            return Decimal(v) if v not in (None, "") else None
        except InvalidOperation:
            return None

    lo, hi, step = dec(field.min), dec(field.max), dec(field.step)
    value = lo if lo is not None else Decimal(1)
    if hi is not None and value > hi:
        value = hi
    if lo is not None and hi is not None and lo < hi:
        # Not the boundary: a value in the range tells more than the minimum does.
        value = lo + 1 if lo + 1 <= hi else lo
    if step is not None and step > 0 and step != step.to_integral_value():
        return str(value.quantize(step))
    return str(int(value)) if value == value.to_integral_value() else str(value)


# An option a crawl must never choose, or a box it must never check, for "valid data":
# Django's change-list action select offers "delete_selected" as its first real option.
_DESTRUCTIVE_OPTION = re.compile(r"delete|remove|destroy|purge|erase|drop", re.I)


def _pick_option(field: FormField) -> str:
    options = [o for o in field.options if o.strip() and not _DESTRUCTIVE_OPTION.search(o)]
    return options[0] if options else ""


def valid_value(field: FormField, unique: str = "run") -> str:
    """A value the field accepts; unique per `unique` token where uniqueness matters."""
    kind = _kind(field)
    token = re.sub(r"[^a-z0-9]", "", unique.lower()) or "run"
    if field.pattern:
        from_pattern = _from_pattern(field.pattern)
        if from_pattern is not None and kind not in {"select", "radio", "checkbox"}:
            return _fit_length(from_pattern, field, from_pattern[-1:] or "x")
    values: dict[str, str] = {
        "email": f"qa.{token}@example.com",
        "tel": "+4915112345",
        "url": "https://example.com/qa",
        "date": "2030-01-15",
        "time": "10:30",
        "datetime-local": "2030-01-15T10:30",
        "month": "2030-01",
        "week": "2030-W03",
        "password": TEST_PASSWORD,
        "username": f"qa_{token}",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "full_name": "Ada Lovelace",
        "name": "Ada Lovelace",
        "postcode": "10115",
        "city": "Berlin",
        "street": "1 Test Street",
        "search": "lamp",
        "message": "Hello, this is a message written by qaforge.",
        "subject": "A question",
        "color": "#336699",
        "text": "Sample text",
    }
    if kind in {"number", "range", "price", "quantity"} and (
        field.type in {"number", "range"} or field.min or field.max
    ):
        return _number(field)
    if kind in {"price", "quantity"}:
        return "1"
    if kind in {"select", "radio"}:
        return _pick_option(field)
    if kind == "checkbox":
        # Django's inline rows carry a "Delete?" box (`book_set-0-DELETE`): checked, a "valid"
        # save deleted a book that later tests still opened.
        destructive = _DESTRUCTIVE_OPTION.search(f"{field.name} {field.label}")
        return "" if destructive and not field.required else "on"
    return _fit_length(values.get(kind, values["text"]), field)


_DATE_WORDS = ("date", "published", "birth", "birthday", "deadline", "due", "expires", "born")
_ID_WORDS = ("id", "ids", "number", "no", "nr", "count", "age", "year", "superseder", "parent")
_DATE_FORMATS = (
    (re.compile(r"\b(yyyy|jjjj)[-/.]mm[-/.]dd\b", re.I), "2030-01-15"),
    (re.compile(r"\bmm/dd/(yyyy|yy)\b", re.I), "01/15/2030"),
    (re.compile(r"\bdd[./](mm)[./](yyyy|yy)\b", re.I), "15.01.2030"),
)


def _words(field: FormField) -> list[str]:
    return re.findall(r"[a-z]+", f"{field.name} {field.label}".lower().replace("_", " "))


def fitting_value(field: FormField, message: str = "") -> str | None:
    """A value that fits what a text field means, beyond its type: for a retry after the app
    refused the first value (`message`: what it said about this field, if known).

    A text input named "published" wants a date, "superseder" an id; the app's own message
    ("Enter a valid date.", "you may only enter ID values") says so when the name does not.
    None when nothing better than the first value is known."""
    if field.type not in {"text", "", "search"} and field.tag != "textarea":
        return None
    hints = f"{field.placeholder} {message}"
    for pattern, value in _DATE_FORMATS:
        if pattern.search(hints):
            return value
    words = _words(field)
    said = message.lower()
    if "time" in words and not any(w in words for w in _DATE_WORDS):
        return "10:30"
    if any(w in words for w in _DATE_WORDS) or "date" in said:
        return "2030-01-15"
    if "year" in words:
        return "2030"
    if any(w in words for w in _ID_WORDS) or re.search(r"\b(id|number|integer|numeric)\b", said):
        return "1"
    if "email" in said or "e-mail" in said:
        return "{unique_email}"
    if "url" in said or "link" in said:
        return "https://example.com/qa"
    return None


def invalid_value(field: FormField) -> str | None:
    """A value that breaks one of the field's constraints, or None when nothing can be broken."""
    kind = _kind(field)
    if field.type == "email" or kind == "email":
        return "not-an-email"
    if field.type in {"number", "range"}:
        if field.max not in (None, ""):
            try:
                return str(Decimal(field.max) + 1)
            except InvalidOperation:
                pass
        if field.min not in (None, ""):
            try:
                return str(Decimal(field.min) - 1)
            except InvalidOperation:
                pass
        return None
    if field.pattern:
        for candidate in ("!", "x", "@@@", "0"):
            if not re.fullmatch(field.pattern, candidate):
                return candidate
    if field.minlength and field.minlength > 1:
        return "x" * (field.minlength - 1)
    if field.maxlength:
        return "x" * (field.maxlength + 1)
    if field.required and field.type not in {"checkbox", "radio", "select"}:
        return ""
    return None


UNIQUE_TEXT = "{unique_text}"
# Free-text kinds whose value an app typically shows back (a title, a name, a comment).
_ECHOED_KINDS = {"text", "subject", "message", "name"}


def placeholder_for(field: FormField) -> str | None:
    """A run-time placeholder (e.g. `{unique_email}`) for values that must differ per test run."""
    kind = _kind(field)
    if kind == "email":
        return "{unique_email}"
    if kind == "username":
        return "{unique_username}"
    if kind in _ECHOED_KINDS and field.type in {"text", "textarea", ""} and _fits_unique(field):
        # A value no page shows unless this submission put it there: the round-trip oracle
        # looks for it where the app leads.
        return UNIQUE_TEXT
    return None


def _fits_unique(field: FormField) -> bool:
    """Whether `qa-` + a 10-character token satisfies the field's own constraints."""
    return (
        not field.pattern
        and (field.minlength or 0) <= len("qa-") + 6
        and (field.maxlength is None or field.maxlength >= len("qa-") + 10)
    )
