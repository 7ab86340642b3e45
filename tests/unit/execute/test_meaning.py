"""A heal candidate must mean what the original control meant (DESIGN §3: add ≠ remove)."""

from __future__ import annotations

import pytest

from qaforge.execute.healing import THRESHOLD, best_match, match, similarity
from qaforge.execute.meaning import DESTRUCTIVE, OPPOSITES, contradiction, tokens
from qaforge.models import Element, Fingerprint, Locator, LocatorStrategy
from tests.unit.execute.test_classify_and_healing import el, fp


def select(name_attr: str, **kw: object) -> Fingerprint:
    """A <select> known by its `name` attribute only (no label), as on an issue tracker."""
    return fp("", role="combobox", tag="select", text="", attributes={"name": name_attr}, **kw)


def test_tokens_split_case_punctuation_and_digits() -> None:
    assert tokens("user1@add@queries") == ["user", "1", "add", "queries"]
    assert tokens("addToCart") == ["add", "to", "cart"]
    assert tokens("btn_save-changes.primary") == ["btn", "save", "changes", "primary"]
    assert tokens("row-3") == ["row", "3"]
    # Phrases and inflections fold onto the words of the tables.
    assert tokens("Log out") == tokens("logOut") == tokens("log-off") == ["logout"]
    assert tokens("Removed item") == ["remove", "item"]


def test_the_tables_are_plain_lowercase_words() -> None:
    for a, b in OPPOSITES:
        assert a != b and tokens(a) == [a] and tokens(b) == [b]
    assert all(tokens(w) == [w] for w in DESTRUCTIVE)


# The issue-tracker case, then one example for each pair of opposite actions of the brief.
OPPOSITE_NAMES = [
    ("Add query", "Remove query"),
    ("Add to cart", "Delete from cart"),
    ("Save", "Delete"),
    ("Create issue", "Delete issue"),
    ("Next", "Previous"),
    ("Prev", "Next"),
    ("Next page", "Prev page"),
    ("Open menu", "Close menu"),
    ("Show details", "Hide details"),
    ("Enable notifications", "Disable notifications"),
    ("Increase quantity", "Decrease quantity"),
    ("Move up", "Move down"),
    ("Plus", "Minus"),
    ("Log in", "Log out"),
    ("Sign in", "Sign out"),
    ("Check in", "Check out"),
    ("Subscribe", "Unsubscribe"),
    ("Follow", "Unfollow"),
    ("Lock", "Unlock"),
    ("Accept", "Reject"),
    ("Approve", "Deny"),
    ("Yes", "No"),
    ("Turn on", "Turn off"),
]


@pytest.mark.parametrize(("a", "b"), OPPOSITE_NAMES)
def test_opposite_actions_contradict_in_both_directions(a: str, b: str) -> None:
    assert contradiction(fp(a), fp(b)) is not None
    assert contradiction(fp(b), fp(a)) is not None


def test_opposite_action_in_the_name_attribute() -> None:
    add, remove = select("user1@add@queries"), select("user1@remove@queries")
    why = contradiction(add, remove)
    assert why is not None and "add" in why and "remove" in why
    assert contradiction(remove, add) is not None
    # The same attribute in an id, a test id or an href says the same.
    for key in ("id", "data-testid"):
        assert contradiction(
            fp("Go", attributes={key: "addQuery"}), fp("Go", attributes={key: "removeQuery"})
        )
    assert contradiction(
        fp("Query", role="link", tag="a", attributes={"href": "/queries/add"}),
        fp("Query", role="link", tag="a", attributes={"href": "/queries/remove"}),
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (fp("Edit issue 12"), fp("Edit issue 13")),
        (fp("Edit", attributes={"id": "row-3"}), fp("Edit", attributes={"id": "row-4"})),
        (select("user1@add@queries"), select("user2@add@queries")),
        (
            fp("Edit", role="link", tag="a", attributes={"href": "/issues/12/edit"}),
            fp("Edit", role="link", tag="a", attributes={"href": "/issues/13/edit"}),
        ),
        (
            fp("Choose", attributes={"value": "plan-1"}),
            fp("Choose", attributes={"value": "plan-2"}),
        ),
        (fp("Edit issue 12"), fp("Edit issue")),
    ],
)
def test_a_different_record_contradicts_in_both_directions(
    old: Fingerprint, new: Fingerprint
) -> None:
    why = contradiction(old, new)
    assert why is not None and "different record" in why
    assert contradiction(new, old) is not None


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Subscription", "Cancel subscription"),
        ("Account", "Log out"),
        ("Basket", "Empty basket and drop items"),
        ("Order", "Pay order"),
        ("Archive project", "Destroy project"),
        ("Edit comment", "Remove comment"),
    ],
)
def test_a_destructive_word_new_in_the_candidate_contradicts(old: str, new: str) -> None:
    why = contradiction(fp(old), fp(new))
    assert why is not None


def test_a_destructive_word_already_in_the_original_is_no_contradiction() -> None:
    assert contradiction(fp("Cancel subscription"), fp("Cancel my subscription")) is None
    assert contradiction(fp("Delete"), fp("Delete permanently")) is None
    # Losing the destructive word is not adding one (the action is milder, not opposite).
    assert contradiction(fp("Cancel subscription"), fp("Subscription")) is None


def test_a_destructive_word_in_the_candidates_href_counts() -> None:
    old = fp("Issue", role="link", tag="a", attributes={"href": "/issues/12"})
    new = fp("Issue", role="link", tag="a", attributes={"href": "/issues/12/delete"})
    assert contradiction(old, new) == "destructive word not in the original: delete"


def test_the_role_must_match() -> None:
    why = contradiction(fp("Add to cart"), fp("Add to cart", role="link", tag="a"))
    assert why == "role link is not button"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            fp("Add to cart", attributes={"type": "submit", "id": "add-to-cart"}),
            fp("Add to basket", attributes={"type": "submit", "id": "basket-add"}),
        ),
        (fp("Save"), fp("Save changes")),
        (fp("Submit"), fp("Send")),
        (fp("Log in"), fp("Sign in")),
        (fp("Next"), fp("Next page")),
        (fp("Inbox (3)"), fp("Inbox (4)")),  # a count badge is state, not identity
        (select("user1@add@queries"), select("user1@add@queries", x=0.4)),
        (
            fp(
                "Items",
                role="link",
                tag="a",
                attributes={"href": "http://127.0.0.1:5001/items?page=2"},
            ),
            fp(
                "All items",
                role="link",
                tag="a",
                attributes={"href": "http://127.0.0.1:6123/items?page=2"},
            ),
        ),
    ],
)
def test_renames_that_keep_the_meaning_are_accepted(old: Fingerprint, new: Fingerprint) -> None:
    assert contradiction(old, new) is None
    assert contradiction(new, old) is None


def test_label_and_value_of_a_live_element_are_compared() -> None:
    old = fp("", role="radio", tag="input", text="", attributes={"name": "plan", "label": "Yes"})
    loc = Locator(strategy=LocatorStrategy.LABEL, value="No", count=1)
    live = Element(
        id="no",
        role="radio",
        locators=[loc],
        attributes={"name": "plan", "label": "No", "value": "no"},
        fingerprint=fp("", role="radio", tag="input", text="", attributes={"name": "plan"}),
    )
    assert contradiction(old, live) == "opposite action: yes ≠ no"


def test_a_contradicting_candidate_is_never_used_even_alone() -> None:
    old = fp("Add query", attributes={"type": "submit", "id": "add-query"})
    remove = el(
        "Remove query", fp("Remove query", attributes={"type": "submit", "id": "remove-query"})
    )
    assert similarity(old, remove.fingerprint) >= THRESHOLD  # a fingerprint alone would take it
    assert best_match(old, [remove]) is None
    result = match(old, [remove])
    assert result.best is None
    assert result.refusals() == (
        "refused button 'Remove query' (score "
        f"{similarity(old, remove.fingerprint):.2f}): opposite action: add ≠ remove"
    )


def test_a_lower_scoring_candidate_that_means_the_same_is_used() -> None:
    old = fp("Add query", attributes={"type": "submit", "id": "add-query"})
    remove = el(
        "Remove query", fp("Remove query", attributes={"type": "submit", "id": "remove-query"})
    )
    renamed = el("New query", fp("New query", attributes={"type": "submit", "id": "new"}, y=0.35))
    assert similarity(old, remove.fingerprint) > similarity(old, renamed.fingerprint) >= THRESHOLD
    result = match(old, [remove, renamed])
    assert result.best is not None and result.best[0].name == "New query"
    assert [r[0].name for r in result.refused] == ["Remove query"]
