"""Failure classification and fingerprint matching, on plain data."""

from __future__ import annotations

from qaforge.execute.classify import classify, failing_locator
from qaforge.execute.healer import count_assertions, rewrite_action_locator
from qaforge.execute.healing import best_match, similarity
from qaforge.models import Element, FailureClass, Fingerprint, Locator, LocatorStrategy

CLICK_TIMEOUT = (
    "playwright._impl._errors.TimeoutError: Locator.click: Timeout 5000ms exceeded.\n"
    'Call log:\n  - waiting for get_by_role("button", name="Add to cart", exact=True)'
)
EXPECT_MISSING = (
    "AssertionError: Locator expected to be visible\nActual value: None\n"
    'Error: element(s) not found\n  - waiting for get_by_role("heading", name="Catalogue")'
)


def test_failure_classes_from_messages() -> None:
    assert classify(CLICK_TIMEOUT, False, []) == FailureClass.BROKEN_LOCATOR
    assert classify(EXPECT_MISSING, False, []) == FailureClass.ASSERTION_MISMATCH
    assert classify("strict mode violation: resolved to 2 elements", False, []) == (
        FailureClass.BROKEN_LOCATOR
    )
    assert classify("Failed: Timeout (0:00:10)!", False, []) == FailureClass.TIMEOUT
    assert classify("KeyError: 'x'", False, []) == FailureClass.TEST_ERROR
    assert classify("GET /x answered 503", False, []) == FailureClass.APP_DEFECT
    assert classify(EXPECT_MISSING, False, ["GET /items/1 500"]) == FailureClass.APP_DEFECT
    assert classify("console errors: ['boom']", False, []) == FailureClass.APP_DEFECT
    # A test written to document a defect is an app defect when its check fails ...
    broken_link = "AssertionError: GET /shipping-info answered 404\nassert 404 < 400"
    assert classify(broken_link, True, []) == FailureClass.APP_DEFECT
    # ... not when it never reached its check (set-up, locator, time-out).
    assert classify(CLICK_TIMEOUT, True, []) == FailureClass.BROKEN_LOCATOR
    assert classify("Failed: set QAFORGE_USERNAME and QAFORGE_PASSWORD", True, []) == (
        FailureClass.TEST_ERROR
    )
    assert failing_locator(CLICK_TIMEOUT) == 'get_by_role("button", name="Add to cart", exact=True)'


def fp(name: str, **kw: object) -> Fingerprint:
    base: dict[str, object] = {
        "role": "button",
        "tag": "button",
        "name": name,
        "text": name,
        "attributes": {"type": "submit"},
        "x": 0.2,
        "y": 0.3,
    }
    base.update(kw)
    return Fingerprint.model_validate(base)


def el(name: str, fingerprint: Fingerprint, visible: bool = True) -> Element:
    loc = Locator(strategy=LocatorStrategy.ROLE, value="button", name=name, count=1)
    return Element(
        id=name,
        role=fingerprint.role,
        name=name,
        locators=[loc],
        fingerprint=fingerprint,
        visible=visible,
    )


def test_renamed_control_in_the_same_place_matches_best() -> None:
    old = fp("Add to cart", attributes={"type": "submit", "id": "add-to-cart"})
    renamed = el(
        "Add to basket", fp("Add to basket", attributes={"type": "submit", "id": "basket-add"})
    )
    other = el("Search", fp("Search", x=0.8, y=0.05))
    link = el("Add to cart", fp("Add to cart", role="link", tag="a", x=0.9, y=0.9))
    match = best_match(old, [other, renamed, link])
    assert match is not None and match[0].name == "Add to basket"
    assert similarity(old, renamed.fingerprint) > similarity(old, other.fingerprint)


def test_no_match_below_threshold_or_invisible() -> None:
    old = fp("Add to cart")
    assert (
        best_match(old, [el("Log out", fp("Log out", role="link", tag="a", x=0.9, y=0.0))]) is None
    )
    assert best_match(old, [el("Add to cart", fp("Add to cart"), visible=False)]) is None


SOURCE = '''
def test_add(page):
    """Doc."""
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page.get_by_role("button", name="Add to cart", exact=True)).to_be_visible()
'''


def test_rewrite_touches_actions_only_and_keeps_assertions() -> None:
    new = rewrite_action_locator(
        SOURCE,
        "test_add",
        "page.get_by_role('button', name='Add to cart', exact=True)",
        "page.get_by_role('button', name='Add to basket', exact=True)",
    )
    assert new is not None
    assert "name='Add to basket', exact=True).click()" in new
    assert 'expect(page.get_by_role("button", name="Add to cart", exact=True))' in new
    assert count_assertions(new, "test_add") == count_assertions(SOURCE, "test_add") == 1
    assert rewrite_action_locator(SOURCE, "test_add", "page.get_by_text('x')", "y") is None
