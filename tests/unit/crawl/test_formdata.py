"""The data synthesizer: valid values satisfy the field, invalid ones break it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from qaforge.crawl.formdata import invalid_value, placeholder_for, valid_value
from qaforge.models import FormField

FIELDS = [
    FormField(name="phone", type="tel", pattern=r"[0-9+ \-]{7,15}"),
    FormField(name="code", pattern=r"[A-Z]{2}\d{3}"),
    FormField(name="zip", pattern=r"\d{5}", required=True),
    FormField(name="quantity", type="number", min="1", max="10", required=True),
    FormField(name="price", type="number", min="0.01", step="0.01"),
    FormField(name="email", type="email", required=True),
    FormField(name="full_name", minlength=2, maxlength=40, required=True),
    FormField(name="message", tag="textarea", minlength=10),
    FormField(name="nick", maxlength=3),
]


def accepts(field: FormField, value: str) -> bool:
    if field.required and value == "":
        return False
    if field.pattern and not re.fullmatch(field.pattern, value):
        return False
    if field.minlength and len(value) < field.minlength:
        return False
    if field.maxlength and len(value) > field.maxlength:
        return False
    if field.type == "email" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        return False
    if field.type == "number":
        n = Decimal(value)
        if field.min and n < Decimal(field.min):
            return False
        if field.max and n > Decimal(field.max):
            return False
    return True


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.name)
def test_valid_values_satisfy_every_constraint(field: FormField) -> None:
    assert accepts(field, valid_value(field, "run42"))


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.name)
def test_invalid_values_break_a_constraint(field: FormField) -> None:
    bad = invalid_value(field)
    if bad is not None:
        assert not accepts(field, bad)


def test_unique_values_differ_per_run_and_have_placeholders() -> None:
    email = FormField(name="email", type="email")
    assert valid_value(email, "a1") != valid_value(email, "b2")
    assert placeholder_for(email) == "{unique_email}"
    assert placeholder_for(FormField(name="username")) == "{unique_username}"
    assert placeholder_for(FormField(name="city")) is None


def test_choices_come_from_the_options() -> None:
    select = FormField(name="country", type="select", tag="select", options=["", "Spain"])
    assert valid_value(select) == "Spain"
    radio = FormField(name="shipping", type="radio", options=["standard", "express"])
    assert valid_value(radio) == "standard"
