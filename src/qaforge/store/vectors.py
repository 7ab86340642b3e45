"""Long-term memory: semantic recall of states, elements and patterns in Qdrant.

Qdrant local mode on disk by default (`path:/dir`, under `home/vectors`), a Qdrant server by
URL (`http://host:6333`) through the same client API, or `:memory:` for tests. The default
embedding needs no download: hashed word and character-trigram features (signed, L2-normed);
any `Embedder` (a sentence-transformer, an API) can replace it.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from qdrant_client import AsyncQdrantClient, models

from qaforge.models import AppModel, Element, State

_WORD = re.compile(r"[a-z0-9]+")


class Embedder(Protocol):
    """Text → fixed-size vector."""

    dim: int

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text."""
        ...


class HashingEmbedder:
    """Feature hashing of words and character trigrams (no model, no download)."""

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim

    def _features(self, text: str) -> list[str]:
        words = _WORD.findall(text.lower())
        feats = [f"w:{w}" for w in words]
        feats += [f"b:{a}_{b}" for a, b in itertools.pairwise(words)]
        for w in words:
            padded = f"#{w}#"
            feats += [f"c:{padded[i : i + 3]}" for i in range(len(padded) - 2)]
        return feats

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Signed hashed counts, L2-normalised (a zero vector stays zero)."""
        out: list[list[float]] = []
        for text in texts:
            vec = [0.0] * self.dim
            for f in self._features(text):
                h = int.from_bytes(hashlib.blake2b(f.encode(), digest_size=8).digest(), "big")
                vec[h % self.dim] += 1.0 if (h >> 63) & 1 else -1.0
            norm = math.sqrt(sum(v * v for v in vec)) or 1.0
            out.append([v / norm for v in vec])
        return out


def state_text(state: State) -> str:
    """What a state is about, in words: template, title, headings, landmarks, controls."""
    controls = " ".join(f"{e.role} {e.name}" for e in state.elements if e.name or e.role)
    return " | ".join(
        [
            state.url_template,
            state.title,
            " ".join(state.headings),
            " ".join(state.landmarks),
            controls,
        ]
    )


def element_text(element: Element) -> str:
    """What identifies an element for a healer: role, name, tag, text, stable attributes."""
    attrs = " ".join(f"{k} {v}" for k, v in sorted(element.attributes.items()))
    return f"{element.role} {element.name} {element.tag} {element.text} {attrs}"


@dataclass(frozen=True)
class Recall:
    """A remembered item and how similar it is (cosine, -1..1)."""

    score: float
    kind: str
    key: str
    payload: dict[str, Any]


def _client(url: str) -> AsyncQdrantClient:
    if url == ":memory:" or url == "memory://":
        return AsyncQdrantClient(location=":memory:")
    if url.startswith("path:"):
        return AsyncQdrantClient(path=url[len("path:") :])
    if url.startswith(("http://", "https://")):
        return AsyncQdrantClient(url=url)
    raise ValueError(f"unknown vector URL {url!r}: use path:DIR, http(s)://HOST:6333 or :memory:")


def _point_id(app: str, kind: str, key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{app}|{kind}|{key}"))


class LongTermMemory:
    """One Qdrant collection of remembered items, each with a kind, an app and a payload."""

    def __init__(
        self, url: str, embedder: Embedder | None = None, collection: str = "qaforge_memory"
    ) -> None:
        self.url = url
        self.embedder: Embedder = embedder or HashingEmbedder()
        self.collection = collection
        self.client = _client(url)
        self._ready = False

    async def _ensure(self) -> None:
        if self._ready:
            return
        if not await self.client.collection_exists(self.collection):
            await self.client.create_collection(
                self.collection,
                vectors_config=models.VectorParams(
                    size=self.embedder.dim, distance=models.Distance.COSINE
                ),
            )
        self._ready = True

    async def remember(
        self, kind: str, key: str, text: str, payload: dict[str, Any], app: str = ""
    ) -> None:
        """Store (or replace) one item; `key` is unique per (app, kind)."""
        await self.remember_many(kind, [(key, text, payload)], app)

    async def remember_many(
        self, kind: str, items: list[tuple[str, str, dict[str, Any]]], app: str = ""
    ) -> int:
        """Store several items of one kind; returns how many."""
        if not items:
            return 0
        await self._ensure()
        vectors = self.embedder.embed([text for _k, text, _p in items])
        points = [
            models.PointStruct(
                id=_point_id(app, kind, key),
                vector=vec,
                payload={**payload, "kind": kind, "key": key, "app": app, "text": text},
            )
            for (key, text, payload), vec in zip(items, vectors, strict=True)
        ]
        await self.client.upsert(self.collection, points=points)
        return len(points)

    async def remember_states(self, app: str, model: AppModel) -> int:
        """Every state of `model`, by id, with its URL template and title."""
        items = [
            (s.id, state_text(s), {"url": s.url, "url_template": s.url_template, "title": s.title})
            for s in model.states
        ]
        return await self.remember_many("state", items, app)

    async def remember_elements(self, app: str, model: AppModel) -> int:
        """Every element of every state (for healing: find the element a broken locator meant)."""
        items = [
            (
                f"{s.id}/{e.id}",
                element_text(e),
                {"state_id": s.id, "element_id": e.id, "role": e.role, "name": e.name},
            )
            for s in model.states
            for e in s.elements
        ]
        return await self.remember_many("element", items, app)

    async def recall_similar(
        self, text: str, k: int = 5, *, kind: str | None = None, app: str | None = None
    ) -> list[Recall]:
        """The `k` remembered items most similar to `text` (optionally of one kind/app)."""
        await self._ensure()
        must: list[models.Condition] = []
        if kind is not None:
            must.append(models.FieldCondition(key="kind", match=models.MatchValue(value=kind)))
        if app is not None:
            must.append(models.FieldCondition(key="app", match=models.MatchValue(value=app)))
        res = await self.client.query_points(
            self.collection,
            query=self.embedder.embed([text])[0],
            limit=k,
            query_filter=models.Filter(must=must) if must else None,
            with_payload=True,
        )
        return [
            Recall(
                float(p.score),
                str((p.payload or {}).get("kind", "")),
                str((p.payload or {}).get("key", "")),
                dict(p.payload or {}),
            )
            for p in res.points
        ]

    async def get(self, kind: str, key: str, app: str = "") -> dict[str, Any] | None:
        """The payload remembered under (app, kind, key), if any."""
        await self._ensure()
        found = await self.client.retrieve(self.collection, ids=[_point_id(app, kind, key)])
        return dict(found[0].payload or {}) if found else None

    async def count(self) -> int:
        """Items remembered."""
        await self._ensure()
        return int((await self.client.count(self.collection)).count)

    async def close(self) -> None:
        """Close the client (local mode releases its lock on the directory)."""
        await self.client.close()
