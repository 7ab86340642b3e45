"""The demo app's seeded faults: one can be switched on per process with `--bug NAME`."""

from __future__ import annotations

from dataclasses import dataclass

BUGS: dict[str, str] = {
    "wrong-total": "cart total leaves out the last line",
    "missing-add-button": "the 'Add to cart' button is gone from item pages",
    "checkout-no-validation": "checkout accepts anything: no HTML5 constraints, no server checks",
    "contact-500": "sending the contact form answers 500",
    "item-500": "item pages answer 500",
    "renamed-heading": "the catalogue heading reads 'Product list'",
    "broken-live-render": "the live catalogue's script throws before rendering the list",
    "renamed-add-button": "'Add to cart' becomes 'Add to basket' (new id, test id); still works",
    "dead-add-button": "'Add to cart' is still there but adding does nothing",
    "search-ignored": "catalogue search ignores the query",
    "pagination-broken": "the catalogue's 'Next' link is gone",
    "login-broken": "correct credentials are rejected",
    "dialog-broken": "'Open details' does nothing",
    "load-more-broken": "'Load more' does nothing",
    "contact-no-flash": "the contact form redirects without its thanks message",
    "saved-name-truncated": "a product added in the admin loses the last letter of its name",
    "product-count-off": "the admin's product count leaves out one product",
    "product-filter-ignored": "the admin's availability filter shows every product",
}


@dataclass(frozen=True)
class BugConfig:
    """Which seeded fault (if any) this process serves."""

    name: str | None = None

    def __post_init__(self) -> None:
        if self.name is not None and self.name not in BUGS:
            raise ValueError(f"unknown bug {self.name!r}; known: {', '.join(sorted(BUGS))}")

    def on(self, name: str) -> bool:
        """Whether fault `name` is switched on."""
        return self.name == name
