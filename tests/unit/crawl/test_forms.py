"""Which forms the crawl submits: only those it can find again without guessing."""

from __future__ import annotations

from qaforge.crawl.forms import can_submit, form_selector
from qaforge.models import Form, FormField


def test_a_form_with_nothing_to_find_it_by_is_not_submitted() -> None:
    # django-admin's change list: a POST form with no action, no visible field and no submit
    # control. Its selector is plain "form", which finds the header's log-out form first.
    bare = Form(id="f", method="post")
    assert form_selector(bare) == "form"
    assert not can_submit(bare)


def test_forms_with_an_action_a_field_or_a_submit_control_are_submitted() -> None:
    assert can_submit(Form(id="a", action="/search"))
    assert can_submit(Form(id="b", fields=[FormField(name="q")]))
    assert can_submit(Form(id="c", submit="e1"))
