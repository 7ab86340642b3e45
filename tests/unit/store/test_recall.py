"""The Observation agent's memory of states and elements, and the healer's recall of pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from qaforge.models import Fingerprint
from qaforge.store.recall import open_memory, recall_page, remember_model
from tests.unit.store.test_vectors import _model


async def test_the_healer_recalls_where_a_similar_control_was_seen(tmp_path: Path) -> None:
    url = f"path:{tmp_path / 'vectors'}"
    assert await remember_model(url, "shop", _model()) == 8
    # The control was renamed a little since: still found, on the page it lives on.
    memory = open_memory(url)
    assert memory is not None
    try:
        fp = Fingerprint(role="button", name="Checkout now", tag="button")
        assert await recall_page(memory, "shop", fp) == "http://shop/cart"
        email = Fingerprint(role="textbox", name="Email")
        assert await recall_page(memory, "shop", email) == "http://shop/login"
        # Nothing like it, or another app's memory: no guess.
        slider = Fingerprint(role="slider", name="Volume")
        assert await recall_page(memory, "shop", slider) is None
        assert await recall_page(memory, "other-app", fp) is None
    finally:
        await memory.close()


async def test_memory_problems_never_fail_the_caller(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert await remember_model("nonsense://x", "shop", _model()) == 0
    assert open_memory("nonsense://x") is None
    assert await recall_page(None, "shop", Fingerprint(role="button")) is None
    assert "could not" in caplog.text
    assert await remember_model(None, "shop", _model()) == 0
