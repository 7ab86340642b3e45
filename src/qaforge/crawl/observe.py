"""Turn a live page into a `State`: elements with verified locators, forms, texts, fingerprint."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from playwright.async_api import Locator as PWLocator
from playwright.async_api import Page

from qaforge.crawl.browser import SNAPSHOT_JS
from qaforge.crawl.deadline import BrowserTimeout, within
from qaforge.crawl.urltemplate import url_template
from qaforge.models import (
    Element,
    Fingerprint,
    Form,
    FormField,
    Locator,
    LocatorStrategy,
    State,
    stable_id,
)

_DIGITS = re.compile(r"\d+")
# A snapshot that takes longer than this means a hung page; verification has its own budget
# so that a page of thousands of controls is cheap (the rest stay unverified, unusable).
SNAPSHOT_TIMEOUT_S = 15.0
VERIFY_BUDGET_S = 12.0
_CSS_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
# Roles whose elements a test may act on or assert; the rest is context.
_ACTIONABLE = {
    "link",
    "button",
    "tab",
    "menuitem",
    "checkbox",
    "radio",
    "switch",
    "textbox",
    "searchbox",
    "combobox",
    "listbox",
    "spinbutton",
    "slider",
}


def volatile_free(text: str) -> str:
    """Text with numbers folded, for fingerprints that ignore counters, prices and dates."""
    return _DIGITS.sub("#", text.strip().lower())


@dataclass
class Snapshot:
    """What one look at a page saw (raw, before folding into a `State`)."""

    url: str
    title: str
    raw: dict[str, Any]
    elements: list[Element] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    fingerprint: str = ""
    texts: list[str] = field(default_factory=list)
    dialog_open: bool = False
    invalid: list[str] = field(default_factory=list)
    by_idx: dict[int, Element] = field(default_factory=dict)


def element_id(template: str, raw: dict[str, Any]) -> str:
    """Stable id of an element: same control on every instance of a template, same id."""
    attrs = raw.get("attributes", {})
    href = attrs.get("href")
    key_attrs = {k: attrs[k] for k in ("id", "name", "data-testid", "type") if k in attrs}
    if href:
        key_attrs["href"] = url_template(href) if href.startswith(("/", "http")) else href
    return stable_id(template, raw.get("role"), volatile_free(raw.get("name", "")), key_attrs)


def _candidates(raw: dict[str, Any]) -> list[Locator]:
    """Locator candidates, architecture.md §5: role+name, label, placeholder, test id, text, id."""
    attrs: dict[str, str] = raw.get("attributes", {})
    role, name, tag = raw.get("role", ""), raw.get("name", ""), raw.get("tag", "")
    out: list[Locator] = []
    if role and name and len(name) <= 120:
        out.append(Locator(strategy=LocatorStrategy.ROLE, value=role, name=name))
    if raw.get("label") and tag in {"input", "select", "textarea"}:
        out.append(Locator(strategy=LocatorStrategy.LABEL, value=raw["label"]))
    if attrs.get("placeholder"):
        out.append(Locator(strategy=LocatorStrategy.PLACEHOLDER, value=attrs["placeholder"]))
    for test_attr in ("data-testid", "data-test", "data-qa"):
        if attrs.get(test_attr):
            value = (
                attrs[test_attr]
                if test_attr == "data-testid"
                else f"{test_attr}={attrs[test_attr]}"
            )
            out.append(Locator(strategy=LocatorStrategy.TEST_ID, value=value))
            break
    text = raw.get("text", "")
    if text and tag not in {"input", "select", "textarea"} and len(text) <= 80:
        out.append(Locator(strategy=LocatorStrategy.TEXT, value=text))
    if attrs.get("id") and _CSS_IDENT.match(attrs["id"]):
        out.append(Locator(strategy=LocatorStrategy.ID, value=f"#{attrs['id']}"))
    if attrs.get("name") and tag in {"input", "select", "textarea", "button"}:
        out.append(
            Locator(strategy=LocatorStrategy.CSS, value=f"{tag}[name={json.dumps(attrs['name'])}]")
        )
    return out


def resolve(page: Page, loc: Locator) -> PWLocator:
    """The Playwright locator a `Locator` candidate stands for."""
    match loc.strategy:
        case LocatorStrategy.ROLE:
            return page.get_by_role(loc.value, name=loc.name, exact=loc.exact)  # type: ignore[arg-type]
        case LocatorStrategy.LABEL:
            return page.get_by_label(loc.value, exact=loc.exact)
        case LocatorStrategy.PLACEHOLDER:
            return page.get_by_placeholder(loc.value, exact=loc.exact)
        case LocatorStrategy.TEST_ID:
            if "=" in loc.value and loc.value.startswith("data-"):
                attr, _, val = loc.value.partition("=")
                return page.locator(f"[{attr}={json.dumps(val)}]")
            return page.get_by_test_id(loc.value)
        case LocatorStrategy.TEXT:
            return page.get_by_text(loc.value, exact=loc.exact)
        case _:
            return page.locator(loc.value)


_NAMED = {LocatorStrategy.ROLE, LocatorStrategy.TEXT}


def _has_unnamed(cands: list[Locator]) -> bool:
    return any(c.strategy not in _NAMED for c in cands)


async def _verify(
    page: Page, raw: dict[str, Any], cands: list[Locator], until: float
) -> list[Locator]:
    """Count each candidate live; a unique one must also be the element the snapshot saw.

    Past `until` (a `time.monotonic()` instant) candidates are left unchecked (count -1,
    not usable): a page of thousands of controls costs seconds, not minutes."""
    verified: list[Locator] = []
    unique = 0
    # One unique candidate that does not depend on the name is worth checking for: a name
    # found later to carry state ("Show more" / "Show less") is then no longer usable.
    unique_unnamed = 0
    for cand in cands:
        enough = unique >= 2 and (unique_unnamed >= 1 or not _has_unnamed(cands))
        if enough or time.monotonic() >= until:
            cand.count = -1  # not checked: enough unique candidates, or no time left
            verified.append(cand)
            continue
        try:
            target = resolve(page, cand)
            cand.count = await within(target.count(), 5, "counting a locator")
            if cand.count == 1:
                same = await within(
                    target.first.get_attribute("data-qaforge-idx", timeout=1000), 5, "a locator"
                )
                if same != str(raw["idx"]):
                    cand.count = 0  # matches one element, but not this one
        except BrowserTimeout:
            raise
        except Exception:
            cand.count = 0
        if cand.count == 1:
            unique += 1
            unique_unnamed += cand.strategy not in _NAMED
        verified.append(cand)
    return [c for c in verified if c.count != 0]


async def take_snapshot(
    page: Page, verify: bool = True, verify_budget_s: float = VERIFY_BUDGET_S
) -> Snapshot:
    """Look at the page once and build elements (locators verified live), forms and texts."""
    raw: dict[str, Any] = await within(
        page.evaluate(SNAPSHOT_JS), SNAPSHOT_TIMEOUT_S, "reading the page"
    )
    until = time.monotonic() + verify_budget_s
    template = url_template(raw["url"])
    snap = Snapshot(url=raw["url"], title=raw.get("title", ""), raw=raw)
    snap.dialog_open = bool(raw.get("dialogOpen"))
    snap.invalid = list(raw.get("invalid", []))
    snap.texts = list(raw.get("texts", []))
    seen_ids: set[str] = set()
    for r in raw["elements"]:
        if not r.get("role"):
            continue
        eid = element_id(template, r)
        if eid in seen_ids:
            eid = stable_id(eid, r["idx"])
        seen_ids.add(eid)
        cands = _candidates(r)
        if verify and (r["role"] in _ACTIONABLE or r["role"] == "heading"):
            cands = await _verify(page, r, cands, until)
        attrs = dict(r.get("attributes", {}))
        if r.get("label"):
            attrs["label"] = r["label"]
        if r.get("landmark"):
            attrs["landmark"] = str(r["landmark"])
        if r.get("inDialog"):
            attrs["in-dialog"] = "true"
        if r.get("disabled"):
            attrs["disabled"] = "true"
        el = Element(
            id=eid,
            role=r["role"],
            name=r.get("name", ""),
            tag=r.get("tag", ""),
            attributes=attrs,
            text=r.get("text", ""),
            locators=cands,
            fingerprint=Fingerprint(
                role=r["role"],
                name=r.get("name", ""),
                tag=r.get("tag", ""),
                text=r.get("text", ""),
                attributes={k: v for k, v in r.get("attributes", {}).items() if k != "value"},
                x=round(float(r.get("x", 0.0)), 4),
                y=round(float(r.get("y", 0.0)), 4),
                index=int(r.get("index", 0)),
            ),
        )
        snap.elements.append(el)
        snap.by_idx[int(r["idx"])] = el
    for f in raw["forms"]:
        fields = []
        for fr in f["fields"]:
            if fr.get("hidden"):
                continue
            idx = fr.get("idx")
            field_el = snap.by_idx.get(int(idx)) if idx not in (None, "") else None
            fields.append(
                FormField(
                    name=fr["name"],
                    type=fr.get("type", "text"),
                    tag=fr.get("tag", "input"),
                    label=fr.get("label", "") or "",
                    required=bool(fr.get("required")),
                    pattern=fr.get("pattern"),
                    min=fr.get("min"),
                    max=fr.get("max"),
                    minlength=fr.get("minlength"),
                    maxlength=fr.get("maxlength"),
                    step=fr.get("step"),
                    placeholder=fr.get("placeholder", "") or "",
                    options=list(fr.get("options", [])),
                    element_id=field_el.id if field_el else None,
                )
            )
        submit_idx = f.get("submitIdx")
        submit_el = snap.by_idx.get(int(submit_idx)) if submit_idx not in (None, "") else None
        purpose = form_purpose(f, fields)
        snap.forms.append(
            Form(
                id=stable_id(template, f.get("action"), f.get("method"), [x.name for x in fields]),
                action=f.get("action", ""),
                method=f.get("method", "get"),
                fields=fields,
                submit=submit_el.id if submit_el else None,
                purpose=purpose,
            )
        )
    snap.fingerprint = fingerprint(template, snap)
    return snap


def form_purpose(raw_form: dict[str, Any], fields: list[FormField]) -> str:
    """A guess at what a form is for, from its fields and role."""
    names = " ".join(f"{f.name} {f.label}" for f in fields).lower()
    types = {f.type for f in fields}
    if "password" in types:
        return "login" if len(fields) <= 3 else "signup"
    if raw_form.get("role") == "search" or (len(fields) == 1 and fields[0].type == "search"):
        return "search"
    if any(k in names for k in ("card", "shipping", "terms", "country")):
        return "checkout"
    if "message" in names:
        return "contact"
    if raw_form.get("method") == "get" and len(fields) <= 2:
        return "search"
    if "quantity" in names or "item_id" in str(raw_form.get("fields")):
        return "add-to-cart"
    return "data-entry"


def fingerprint(template: str, snap: Snapshot) -> str:
    """The abstract state: URL template + visible controls and headings, volatile text folded."""
    controls = sorted(
        {
            (e.role, volatile_free(e.name))
            for e in snap.elements
            if e.role in _ACTIONABLE and not e.attributes.get("in-dialog")
        }
    )
    headings = sorted({volatile_free(h) for h in snap.raw.get("headings", [])})
    # The number of visible list entries, bucketed, tells "4 products" from "8 products"
    # (a load-more state) without making every count a new state.
    n = int(snap.raw.get("visibleListItems", 0))
    bucket = n.bit_length()
    return stable_id(template, controls, headings, snap.dialog_open, bucket, length=16)


_ROWS_FROM: dict[str, Literal["table", "list"]] = {"table": "table", "list": "list"}


def to_state(snap: Snapshot, depth: int, http_status: int | None) -> State:
    """A `State` from a snapshot (stable texts are filled in after the revisit)."""
    return State(
        id=snap.fingerprint,
        url=snap.url,
        url_template=url_template(snap.url),
        title=snap.title,
        headings=list(snap.raw.get("headings", [])),
        landmarks=list(dict.fromkeys(snap.raw.get("landmarks", []))),
        elements=snap.elements,
        forms=snap.forms,
        rows=[[str(c) for c in r] for r in snap.raw.get("rows", [])],
        rows_from=_ROWS_FROM.get(str(snap.raw.get("rowsFrom")), ""),
        row_count=row_count_of(snap),
        http_status=http_status,
        depth=depth,
    )


def row_count_of(snap: Snapshot) -> int:
    """How many data rows the snapshot's data table showed (0 when it showed none)."""
    count = snap.raw.get("rowCount", 0)
    return count if isinstance(count, int) else 0
