from __future__ import annotations

import pytest

from qaforge.crawl.scope import Scope


def test_same_origin_and_patterns() -> None:
    scope = Scope.build("http://app:8000/", include=[r"/shop"], exclude=[r"/shop/admin"])
    assert scope.allows_url("http://app:8000/shop/items")
    assert not scope.allows_url("http://app:8000/blog")
    assert not scope.allows_url("http://app:8000/shop/admin/users")
    assert not scope.allows_url("http://other:8000/shop")
    assert not scope.allows_url("https://app:8000/shop")  # another scheme is another origin
    assert not scope.allows_url("mailto:x@y.z")


@pytest.mark.parametrize(
    "label", ["Log out", "logout", "Sign out", "Delete account", "Remove", "Pay now", "/logout"]
)
def test_destructive_labels_are_denied(label: str) -> None:
    assert Scope.build("http://h/").is_destructive(label)


@pytest.mark.parametrize("label", ["Add to cart", "Catalogue", "Payment info page", "Removal van"])
def test_ordinary_labels_are_allowed(label: str) -> None:
    # Whole words only: "Payment" is not "pay", "Removal" is not "remove".
    assert not Scope.build("http://h/").is_destructive(label)


def test_deny_list_is_configurable_and_overridable() -> None:
    assert Scope.build("http://h/", deny_labels=["archive"]).is_destructive("Archive all")
    assert not Scope.build("http://h/", allow_destructive=True).is_destructive("Delete")


def test_malformed_pattern_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="invalid --include/--exclude pattern"):
        Scope.build("http://h/", include=["("])


def test_only_the_apps_own_api_answering_5xx_is_its_server_error() -> None:
    from qaforge.crawl.scope import is_own_server_error

    app = "http://127.0.0.1:8104"
    assert is_own_server_error(app, "fetch", app + "/ajax-api/2.0/metrics/get-history", 500)
    assert is_own_server_error(app, "xhr", app + "/api/x", 503)
    assert not is_own_server_error(app, "fetch", app + "/api/x", 404)
    assert not is_own_server_error(app, "image", app + "/logo.png", 500)
    assert not is_own_server_error(app, "fetch", "https://cdn.example.com/x", 500)
