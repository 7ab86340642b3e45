"""The demo shop's pages and seeded faults, through its real ASGI app."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from qaforge.cli import app as cli_app
from qaforge.demoapp.app import create_app
from qaforge.demoapp.bugs import BUGS, BugConfig

VALID_CHECKOUT = {
    "full_name": "Ada Lovelace",
    "email": "ada@example.com",
    "phone": "+44 20 7946",
    "quantity": "2",
    "country": "France",
    "shipping": "express",
    "terms": "yes",
}


def client(bug: str | None = None) -> TestClient:
    return TestClient(create_app(BugConfig(bug)), follow_redirects=True)


def h1(html: str) -> str:
    m = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert m, "page has no h1"
    return m.group(1).strip()


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/", "Welcome to Demo Shop"),
        ("/catalogue", "Catalogue"),
        ("/items/1", "Desk Lamp"),
        ("/cart", "Your cart"),
        ("/checkout", "Checkout"),
        ("/contact", "Contact us"),
        ("/live", "Live catalogue"),
        ("/deals", "Deals"),
        ("/reviews", "Reviews"),
        ("/about", "About Demo Shop"),
        ("/login", "Log in"),
    ],
)
def test_pages_answer_with_their_heading(path: str, heading: str) -> None:
    r = client().get(path)
    assert r.status_code == 200
    assert h1(r.text) == heading
    assert "<title>" in r.text and "· Demo Shop</title>" in r.text


def test_broken_link_and_unknown_item_answer_404() -> None:
    c = client()
    assert c.get("/shipping-info").status_code == 404
    assert c.get("/items/99").status_code == 404
    assert 'href="/shipping-info"' in c.get("/about").text


def test_admin_needs_login_and_logout_ends_session() -> None:
    c = client()
    r = c.get("/admin", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/admin"
    r = c.post("/login", data={"username": "demo", "password": "wrong", "next": "/admin"})
    assert "Invalid username or password" in r.text
    r = c.post("/login", data={"username": "demo", "password": "demo", "next": "/admin"})
    assert h1(r.text) == "Admin dashboard"
    assert 'href="/logout"' in r.text
    c.get("/logout")
    assert c.get("/admin", follow_redirects=False).status_code == 303


def test_cart_adds_items_and_totals() -> None:
    c = client()
    r = c.post("/cart/add", data={"item_id": "1", "quantity": "2"})
    assert "Added Desk Lamp to your cart" in r.text
    r = c.post("/cart/add", data={"item_id": "4", "quantity": "1"})
    assert "Total: $64.97" in r.text  # 2 x 29.99 + 4.99


def test_checkout_validates_on_the_server() -> None:
    c = client()
    r = c.post("/checkout", data={**VALID_CHECKOUT, "email": "nope", "terms": ""})
    assert r.status_code == 422
    assert "Please correct the errors below" in r.text
    assert "Enter a valid email address" in r.text
    r = c.post("/checkout", data={**VALID_CHECKOUT, "quantity": "11"})
    assert r.status_code == 422
    r = c.post("/checkout", data=VALID_CHECKOUT)
    assert r.status_code == 200 and h1(r.text) == "Order confirmed"
    assert "Thank you, Ada Lovelace!" in r.text
    html = c.get("/checkout").text
    assert 'type="email" required' in html and 'min="1" max="10"' in html


def test_contact_form_thanks_or_complains() -> None:
    c = client()
    r = c.post("/contact", data={"name": "A", "email": "a@b.co", "message": "short"})
    assert r.status_code == 422 and "Write at least 10 characters" in r.text
    r = c.post("/contact", data={"name": "A", "email": "a@b.co", "message": "Hello there, shop!"})
    assert "Thanks for your message" in r.text


def test_catalogue_search_and_pagination() -> None:
    c = client()
    assert "Showing 1–10 of 30 items" in c.get("/catalogue").text
    assert "Showing 21–30 of 30 items" in c.get("/catalogue?page=3").text
    r = c.get("/catalogue?q=lamp")
    assert "Showing 1–1 of 1 items" in r.text and "Desk Lamp" in r.text
    assert 'rel="next"' in c.get("/catalogue").text


def test_api_pages_through_products() -> None:
    c = client()
    first = c.get("/api/products").json()
    assert len(first["items"]) == 4 and first["next_page"] == 2
    assert c.get("/api/products?page=3").json()["next_page"] is None


def test_deals_alternates_every_other_request() -> None:
    c = client()
    seen = [re.search(r"Deal of the day: ([\w ]+)", c.get("/deals").text) for _ in range(4)]
    names = [m.group(1) if m else "" for m in seen]
    assert names == ["Desk Lamp", "Office Chair", "Desk Lamp", "Office Chair"]


def test_reviews_page_logs_a_console_error() -> None:
    assert 'console.error("reviews widget failed to load")' in client().get("/reviews").text


def test_each_bug_changes_what_a_user_sees() -> None:
    healthy = client()
    healthy.post("/cart/add", data={"item_id": "1", "quantity": "1"})
    healthy_cart = healthy.post("/cart/add", data={"item_id": "2", "quantity": "1"}).text
    assert "Total: $178.99" in healthy_cart

    c = client("wrong-total")
    c.post("/cart/add", data={"item_id": "1", "quantity": "1"})
    assert "Total: $29.99" in c.post("/cart/add", data={"item_id": "2", "quantity": "1"}).text

    assert "Add to cart" not in client("missing-add-button").get("/items/1").text
    r = client("checkout-no-validation").post("/checkout", data={})
    assert h1(r.text) == "Order confirmed"
    data = {"name": "A", "email": "a@b.co", "message": "Hello there, shop!"}
    assert client("contact-500").post("/contact", data=data).status_code == 500
    assert client("item-500").get("/items/1").status_code == 500
    assert h1(client("renamed-heading").get("/catalogue").text) == "Product list"
    assert "brokenRender: true" in client("broken-live-render").get("/live").text
    renamed = client("renamed-add-button")
    assert 'id="basket-add"' in renamed.get("/items/1").text
    r = renamed.post("/cart/add", data={"item_id": "1", "quantity": "1"})
    assert "Added Desk Lamp to your cart" in r.text
    dead = client("dead-add-button")
    assert dead.get("/items/1").text == client().get("/items/1").text
    assert "Your cart is empty" in dead.post("/cart/add", data={"item_id": "1"}).text
    assert "Showing 1–10 of 30 items" in client("search-ignored").get("/catalogue?q=lamp").text
    assert 'rel="next"' not in client("pagination-broken").get("/catalogue").text
    r = client("login-broken").post("/login", data={"username": "demo", "password": "demo"})
    assert "Invalid username or password" in r.text
    assert "dialogBroken: true" in client("dialog-broken").get("/live").text
    assert "loadMoreBroken: true" in client("load-more-broken").get("/live").text
    r = client("contact-no-flash").post("/contact", data=data)
    assert r.status_code == 200 and "Thanks for your message" not in r.text
    assert len(BUGS) >= 10


def test_unknown_bug_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown bug"):
        BugConfig("nope")
    result = CliRunner().invoke(cli_app, ["demo-app", "--bug", "nope"])
    assert result.exit_code == 2
    assert "unknown bug 'nope'" in result.output


def test_launcher_serves_from_a_real_subprocess(demo_app: object) -> None:
    import httpx

    url = demo_app.url  # type: ignore[attr-defined]
    assert httpx.get(url + "/catalogue").status_code == 200
