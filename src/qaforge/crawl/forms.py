"""Fill and submit a form the crawl found: valid data, or required fields left empty."""

from __future__ import annotations

import json
import re

from playwright.async_api import Locator as PWLocator
from playwright.async_api import Page

from qaforge.crawl.formdata import (
    TEST_PASSWORD,
    UNIQUE_TEXT,
    fitting_value,
    placeholder_for,
    valid_value,
)
from qaforge.models import Form

_TEXTLIKE_SKIP = {"checkbox", "radio", "select", "file", "hidden", "submit", "button", "reset"}


def form_selector(form: Form) -> str:
    """A CSS selector for the form: by its action and the fields it holds."""
    sel = "form"
    if form.action:
        sel += f"[action={json.dumps(form.action)}]"
    for f in form.fields[:2]:
        sel += f":has([name={json.dumps(f.name)}])"
    return sel


def can_submit(form: Form) -> bool:
    """Whether the crawl can submit exactly this form.

    A form with no submit control is submitted by script on the form its selector finds; with
    no action and no fields that selector is plain `form`, the page's first form, which on
    django-admin is the header's log-out form (the crawl then logged itself out)."""
    return form.submit is not None or bool(form.action) or bool(form.fields)


def planned_values(form: Form, variant: str, unique: str) -> dict[str, str]:
    """The values a submission uses; what the model records (placeholders, never secrets)."""
    out: dict[str, str] = {}
    for f in form.fields:
        if variant == "empty":
            if (
                (f.required and f.type not in {"checkbox", "radio", "select"})
                or (f.type in {"checkbox", "radio"} and f.required)
                or (f.type == "select" and f.required)
            ):
                out[f.name] = ""
            continue
        if f.type == "password":
            out[f.name] = "{password}"
            continue
        out[f.name] = placeholder_for(f) or valid_value(f, unique)
    return out


def concrete(value: str, unique: str) -> str:
    """Resolve a recorded placeholder to the value typed during the crawl."""
    return (
        value.replace("{unique_email}", f"qa.{unique}@example.com")
        .replace("{unique_username}", f"qa_{unique}")
        .replace("{unique_text}", f"qa-{unique}")
        .replace("{password}", TEST_PASSWORD)
    )


def echoed_fields(values: dict[str, str], texts: list[str], unique: str) -> list[str]:
    """Fields whose unique typed value a text of the page shows (the app kept what was sent)."""
    out = []
    for name, value in values.items():
        if value != UNIQUE_TEXT:
            continue
        typed = concrete(value, unique)
        if any(typed in t for t in texts):
            out.append(name)
    return out


# What an app says when it refuses a submission (Django, Rails, Roundup, HTML5 messages...).
_REFUSAL = re.compile(
    r"\b(errors?|invalid|required|must|please (correct|enter|fill|fix|select|provide)|"
    r"enter an? (valid|correct)|not (a )?valid|already (exists|taken|in use|registered)|"
    r"may only|only enter|not allowed|incorrect|can(not|'t) be|failed|too (long|short)|"
    r"is missing|doesn't match|does not match)\b",
    re.I,
)


def refusals(texts: list[str]) -> list[str]:
    """The texts that read like an app refusing a submission."""
    return [t for t in texts if len(t) <= 300 and _REFUSAL.search(t)]


def rejection(
    appeared: list[str], invalid: list[str], moved: bool, changed: bool, sent: bool = False
) -> str:
    """Why the app refused a submission, or "" when nothing says it did.

    A refusal keeps the user on the form's page and says so: a message that appeared, or the
    form's fields marked invalid when the browser's own validation stopped it (nothing was
    `sent`, nothing `changed`). A page the submission led away from accepted it. Fields marked
    invalid alone prove nothing once the server had the data: a form cleared after it was
    accepted (a redirect back to the same page, a script resetting it) shows its empty required
    fields as invalid too."""
    if moved:
        return ""
    said = refusals(appeared)
    if said:
        return said[0]
    if invalid and not changed and not sent:
        return "fields marked invalid: " + ", ".join(invalid[:4])
    return ""


def fitted_values(
    form: Form, values: dict[str, str], invalid: list[str], messages: list[str]
) -> dict[str, str]:
    """The values a second try sends after the app refused `values`.

    Sent: what the form requires, what the app flagged, values that carry a meaning (unique
    text, e-mails, passwords) and choices among the app's own options; optional free text is
    left out. A text field gets a value fitting what it is for (a date for "published", an id
    for "superseder"), with the app's own message as a hint when it flagged that one field."""
    said = " ".join(messages)
    out: dict[str, str] = {}
    for f in form.fields:
        if f.name not in values:
            continue
        value = values[f.name]
        flagged = f.name in invalid
        meaningful = value.startswith("{") and value.endswith("}")
        # A choice is one of the app's own options: it fits (an inline row needs its genre
        # even where the browser is not told the field is required).
        chosen = f.type in {"select", "radio", "checkbox"}
        if not (f.required or flagged or meaningful or chosen):
            continue  # optional free text: its default stands
        if not chosen:
            # The app's message is a hint only for the one field it flagged: unflagged, a
            # "valid date" message would turn the title into a date too.
            better = fitting_value(f, said if flagged and len(invalid) == 1 else "")
            if better is not None:
                value = better
        out[f.name] = value
    return out


async def fill_form(page: Page, form: Form, values: dict[str, str], unique: str) -> list[str]:
    """Type `values` into the form's fields (the rest keep their defaults); returns the names
    of the selects left alone because the live list no longer offers the value.

    Only a control a user can see is set: a form may hold hidden copies of a field (a
    template row, a control a script replaced), and acting on one waits out its timeout.
    A select whose options a script moved (Django's two-list permission picker empties the
    list that is sent) keeps its default too, instead of waiting out the time-out.
    """
    skipped: list[str] = []
    for f in form.fields:
        if f.name not in values:
            continue
        value = concrete(values[f.name], unique)
        scope = page.locator(form_selector(form)).first
        selector = f"[name={json.dumps(f.name)}]"
        if f.type == "radio":
            if not value:
                continue
            selector = f"input[type=radio][name={json.dumps(f.name)}][value={json.dumps(value)}]"
        target = scope.locator(selector).filter(visible=True)
        if await target.count() == 0:
            continue  # not shown to a user: its default stands
        if f.type == "checkbox":
            if value:
                await target.first.check(timeout=3000)
            else:
                await target.first.uncheck(timeout=3000)
        elif f.type == "radio":
            await target.first.check(timeout=3000)
        elif f.type == "select":
            offered = await target.first.evaluate(
                "s => Array.from(s.options, o => o.value)", timeout=3000
            )
            if value not in offered:
                skipped.append(f.name)
                continue
            await target.first.select_option(value=value, timeout=3000)
        elif f.type not in _TEXTLIKE_SKIP:
            await target.first.fill(value, timeout=3000)
    return skipped


async def submit_form(page: Page, form: Form, submit: PWLocator | None) -> None:
    """Press the form's submit control (or submit it programmatically when it has none)."""
    if submit is not None:
        await submit.first.click(timeout=3000, no_wait_after=True)
        return
    await page.locator(form_selector(form)).first.evaluate("f => f.requestSubmit()")
