"""Long-term memory: hashed embeddings and recall through Qdrant local mode."""

from __future__ import annotations

import math
from pathlib import Path

from qaforge.models import AppModel, Element, State, Target
from qaforge.store.vectors import HashingEmbedder, LongTermMemory


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_hashing_embedder_is_deterministic_normed_and_similarity_aware() -> None:
    e = HashingEmbedder(dim=256)
    a, b, c, again = e.embed(
        ["Shopping cart checkout", "Your shopping cart", "Admin login form", "Shopping cart checkout"]
    )
    assert a == again and len(a) == 256
    assert math.isclose(sum(v * v for v in a), 1.0, rel_tol=1e-9)
    assert _cos(a, b) > _cos(a, c)


def _model() -> AppModel:
    def st(i: str, tpl: str, title: str, heads: list[str], el: list[tuple[str, str]]) -> State:
        return State(
            id=i, url=f"http://shop{tpl}", url_template=tpl, title=title, headings=heads,
            elements=[Element(id=f"{i}-{n}", role=r, name=n) for r, n in el],
        )

    return AppModel(
        target=Target(url="http://shop/"),
        states=[
            st("s1", "/cart", "Cart", ["Your cart"], [("button", "Checkout"), ("link", "Continue shopping")]),
            st("s2", "/login", "Sign in", ["Log in"], [("textbox", "Email"), ("button", "Sign in")]),
            st("s3", "/items/{id}", "Item", ["Product details"], [("button", "Add to cart")]),
        ],
    )


async def test_remember_and_recall_states_on_disk(tmp_path: Path) -> None:
    mem = LongTermMemory(f"path:{tmp_path / 'vectors'}")
    assert await mem.remember_states("shop", _model()) == 3
    assert await mem.remember_elements("shop", _model()) == 5
    hits = await mem.recall_similar("sign in with email", k=2, kind="state", app="shop")
    assert hits[0].key == "s2" and hits[0].payload["url_template"] == "/login"
    assert hits[0].score > hits[1].score
    [el] = await mem.recall_similar("button Checkout", k=1, kind="element")
    assert el.payload["element_id"] == "s1-Checkout"
    assert await mem.recall_similar("cart", kind="state", app="other-app") == []
    await mem.close()
    # On disk: a new client sees what the first one stored; re-remembering replaces.
    again = LongTermMemory(f"path:{tmp_path / 'vectors'}")
    assert await again.count() == 8
    await again.remember_states("shop", _model())
    assert await again.count() == 8
    await again.close()
