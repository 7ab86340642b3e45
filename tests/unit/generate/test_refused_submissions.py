""" "Accepts valid data" means the app accepted it: a refused submission is tried again with
fitting values, and one the app still refuses is a refusal scenario, never a "valid" one."""

from __future__ import annotations

from qaforge.crawl.forms import fitted_values, rejection
from qaforge.generate.data import UNIQUE_TEXT, fitting_value, valid_value
from qaforge.generate.scenarios import derive_scenarios
from qaforge.models import (
    Action,
    ActionKind,
    AppModel,
    Element,
    Form,
    FormField,
    Locator,
    LocatorStrategy,
    Outcome,
    ScenarioKind,
    State,
    StepKind,
    Target,
    Transition,
)


def test_a_refusal_is_a_message_that_appeared_or_a_form_the_browser_stopped() -> None:
    said = ["Please correct the error below.", "Enter a valid date."]
    assert rejection(said, [], moved=False, changed=True) == "Please correct the error below."
    assert "superseder" in rejection(
        ["you may only enter ID values for property superseder"], [], False, True
    )
    assert rejection([], ["email"], moved=False, changed=False) == "fields marked invalid: email"
    # Led away from the form: accepted, whatever the next page says.
    assert rejection(said, ["published"], moved=True, changed=True) == ""
    # A script cleared the form after accepting it: its empty required fields prove nothing.
    assert rejection(["Added to your cart"], ["qty"], moved=False, changed=True) == ""
    # Nor does the same page loaded again empty after the server had the data (a redirect
    # back to /contact?sent=1 looks the same as before the submit).
    assert rejection([], ["name"], moved=False, changed=False, sent=True) == ""


def test_a_text_field_gets_a_value_that_fits_what_it_is_for() -> None:
    assert fitting_value(FormField(name="published", label="Published")) == "2030-01-15"
    assert fitting_value(FormField(name="x", placeholder="MM/DD/YYYY")) == "01/15/2030"
    assert fitting_value(FormField(name="superseder")) == "1"
    assert fitting_value(FormField(name="when"), "Enter a valid date.") == "2030-01-15"
    assert fitting_value(FormField(name="refs"), "you may only enter ID values") == "1"
    assert fitting_value(FormField(name="start_time")) == "10:30"
    assert fitting_value(FormField(name="title")) is None  # nothing better is known
    assert fitting_value(FormField(name="published", type="date")) is None  # typed already


def test_the_second_try_sends_what_is_required_flagged_or_meaningful() -> None:
    form = Form(
        id="f",
        fields=[
            FormField(name="title", required=True),
            FormField(name="when", required=True),
            FormField(name="notes"),
            FormField(name="email"),
            FormField(name="row-0-genre", type="select", options=["", "fic"]),
        ],
    )
    first = {
        "title": UNIQUE_TEXT,
        "when": "Sample text",
        "notes": "Sample text",
        "email": "{unique_email}",
        "row-0-genre": "fic",
    }
    said = ["Please correct the error below.", "Enter a valid date."]
    assert fitted_values(form, first, ["when"], said) == {
        "title": UNIQUE_TEXT,
        "when": "2030-01-15",
        "email": "{unique_email}",
        "row-0-genre": "fic",
    }
    # Unflagged, the message names no field: the title does not become a date.
    assert fitted_values(form, first, [], said)["title"] == UNIQUE_TEXT
    assert fitted_values(form, first, [], said)["when"] == "Sample text"


def test_valid_data_never_picks_a_destructive_option() -> None:
    action = FormField(name="action", type="select", options=["", "delete_selected", "export"])
    assert valid_value(action) == "export"
    only = FormField(name="action", type="select", options=["", "delete_selected"])
    assert valid_value(only) == ""


def _el(eid: str, role: str, name: str) -> Element:
    loc = Locator(strategy=LocatorStrategy.ROLE, value=role, name=name, count=1)
    return Element(id=eid, role=role, name=name, locators=[loc])


def _submit(
    tid: str, attempt: int, values: dict[str, str], target: str, refused: str
) -> Transition:
    return Transition(
        id=tid,
        source="add",
        target=target,
        action=Action(
            kind=ActionKind.FILL_SUBMIT,
            form_id="f",
            element_id="s",
            values=values,
            variant="valid",
            label="Save (valid)",
            attempt=attempt,
        ),
        outcome=Outcome.DOM_CHANGED if refused else Outcome.NAVIGATED,
        target_url="http://x/books/add" if refused else "http://x/books",
        invalid_fields=["published"] if refused else [],
        rejected=refused,
    )


def _model(retry_refused: bool) -> AppModel:
    form = Form(
        id="f",
        action="",
        method="post",
        fields=[
            FormField(name="title", element_id="t", required=True),
            FormField(name="published", element_id="p", required=True),
        ],
        submit="s",
    )
    elements = [
        _el("t", "textbox", "Title"),
        _el("p", "textbox", "Published"),
        _el("s", "button", "Save"),
    ]
    add = State(
        id="add",
        url="http://x/books/add",
        url_template="/books/add",
        reach_url="http://x/books/add",
        elements=elements,
        forms=[form],
        stable_texts=["Add book"],
    )
    refused = State(
        id="refused",
        url="http://x/books/add",
        url_template="/books/add",
        elements=elements,
        forms=[form],
        stable_texts=["Add book", "Enter a valid date."],
    )
    books = State(
        id="books",
        url="http://x/books",
        url_template="/books",
        reach_url="http://x/books",
        elements=[_el("h", "heading", "Books")],
        stable_texts=["Books"],
    )
    first = _submit(
        "t1",
        1,
        {"title": UNIQUE_TEXT, "published": "Sample text"},
        "refused",
        "Enter a valid date.",
    )
    second = _submit(
        "t2",
        2,
        {"title": UNIQUE_TEXT, "published": "2030-01-15"},
        "refused" if retry_refused else "books",
        "Enter a valid date." if retry_refused else "",
    )
    return AppModel(
        target=Target(url="http://x/"), states=[add, refused, books], transitions=[first, second]
    )


def test_the_accepted_second_try_stands_for_the_form() -> None:
    scenarios = [s for s in derive_scenarios(_model(retry_refused=False)) if "form" in s.title]
    [valid] = [s for s in scenarios if s.kind == ScenarioKind.FORM_VALID]
    assert valid.title.endswith("accepts valid data")
    assert [s.data or s.value for s in valid.steps if s.kind == StepKind.FILL] == [
        UNIQUE_TEXT,
        "2030-01-15",
    ]
    # The refused first try is not a test: neither a "valid" one nor a refusal.
    assert not [s for s in scenarios if "refuses" in s.title]
    assert not any(s.text == "Enter a valid date." for sc in scenarios for s in sc.steps)


def test_a_form_refused_twice_is_a_refusal_never_a_valid_scenario() -> None:
    scenarios = derive_scenarios(_model(retry_refused=True))
    assert not [s for s in scenarios if s.kind == ScenarioKind.FORM_VALID]
    [refusal] = [s for s in scenarios if "refuses" in s.title]
    assert refusal.kind == ScenarioKind.FORM_INVALID
    assert "accepts" not in refusal.title
    texts = [s.text for s in refusal.steps if s.kind == StepKind.EXPECT_TEXT]
    assert texts == ["Enter a valid date."]
    assert any(s.kind == StepKind.EXPECT_INVALID for s in refusal.steps)
    assert any(s.kind == StepKind.EXPECT_URL for s in refusal.steps)


def test_a_retry_has_its_own_signature() -> None:
    a = Action(kind=ActionKind.FILL_SUBMIT, form_id="f", variant="valid")
    b = a.model_copy(update={"attempt": 2})
    assert a.signature() != b.signature()
    # The first attempt's id is what it was before retries existed (models stay comparable).
    assert (
        a.signature()
        == Action(kind=ActionKind.FILL_SUBMIT, form_id="f", variant="valid").signature()
    )
