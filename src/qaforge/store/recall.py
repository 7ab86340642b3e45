"""What the agents keep in long-term memory and recall from it.

The Observation agent remembers every state and element it saw (per app); the healer asks
where an element like the one a broken locator meant was last seen. Memory is an aid, never
a requirement: any failure is logged and the caller goes on without it.
"""

from __future__ import annotations

import logging

from qaforge.models import AppModel, Fingerprint
from qaforge.store.vectors import LongTermMemory

log = logging.getLogger(__name__)

# Below this cosine similarity a recalled element is not "the same control".
MIN_ELEMENT_SCORE = 0.6


def fingerprint_text(fp: Fingerprint) -> str:
    """A fingerprint in the words `element_text` uses for remembered elements."""
    attrs = " ".join(f"{k} {v}" for k, v in sorted(fp.attributes.items()))
    return f"{fp.role} {fp.name} {fp.tag} {fp.text} {attrs}"


async def remember_model(vector_url: str | None, app: str, model: AppModel) -> int:
    """Store the model's states and elements under `app`; how many items (0 on failure)."""
    if not vector_url:
        return 0
    memory: LongTermMemory | None = None
    try:
        memory = LongTermMemory(vector_url)
        return await memory.remember_states(app, model) + await memory.remember_elements(app, model)
    except Exception:
        log.exception("could not remember the model of %s in %s", app, vector_url)
        return 0
    finally:
        if memory is not None:
            await memory.close()


async def recall_page(memory: LongTermMemory | None, app: str, fp: Fingerprint) -> str | None:
    """The URL of the page where an element like `fp` was last seen in `app`, if any."""
    if memory is None:
        return None
    try:
        hits = await memory.recall_similar(fingerprint_text(fp), k=1, kind="element", app=app)
        if not hits or hits[0].score < MIN_ELEMENT_SCORE:
            return None
        state = await memory.get("state", str(hits[0].payload.get("state_id", "")), app)
        return str(state.get("url") or "") or None if state else None
    except Exception:
        log.exception("could not recall from %s", memory.url)
        return None


def open_memory(vector_url: str | None) -> LongTermMemory | None:
    """A long-term memory for `vector_url`, or None when there is none or it cannot open."""
    if not vector_url:
        return None
    try:
        return LongTermMemory(vector_url)
    except Exception:
        log.exception("could not open long-term memory at %s", vector_url)
        return None
