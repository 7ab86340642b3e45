"""The Observation agent's memory of states and elements, and the healer's recall of pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from qaforge.models import Fingerprint
from qaforge.store.recall import recall_page, remember_model
from tests.unit.store.test_vectors import _model


async def test_the_healer_recalls_where_a_similar_control_was_seen(tmp_path: Path) -> None:
    url = f"path:{tmp_path / 'vectors'}"
    assert await remember_model(url, "shop", _model()) == 8
    # The control was renamed a little since: still found, on the page it lives on.
    fp = Fingerprint(role="button", name="Checkout now", tag="button")
    assert await recall_page(url, "shop", fp) == "http://shop/cart"
    assert await recall_page(url, "shop", Fingerprint(role="textbox", name="Email")) == (
        "http://shop/login"
    )
    # Nothing like it, or another app's memory: no guess.
    assert await recall_page(url, "shop", Fingerprint(role="slider", name="Volume")) is None
    assert await recall_page(url, "other-app", fp) is None


async def test_memory_problems_never_fail_the_caller(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert await remember_model("nonsense://x", "shop", _model()) == 0
    assert await recall_page("nonsense://x", "shop", Fingerprint(role="button")) is None
    assert "could not" in caplog.text
    assert await remember_model(None, "shop", _model()) == 0
