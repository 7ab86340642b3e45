"""Given/When/Then wording a person reads easily, by a language model, for the scenarios'
docstrings and Gherkin. The steps stay the source of truth: a rewording is used only when it
answers for a scenario of the batch and keeps every quoted text of the original (the pages,
controls and texts the test really uses); otherwise the generated wording stays."""

from __future__ import annotations

import re

from qaforge.contracts.answers import ReadableBatch
from qaforge.llm.client import LLMBudgetSpent, LLMClient
from qaforge.llm.prompts import Prompt
from qaforge.models import Scenario

BATCH = 20
# repr() quotes a text with single quotes, or with double ones when it holds an apostrophe.
_QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"")


def _quoted(*texts: str) -> set[str]:
    return {a or b for t in texts for a, b in _QUOTED.findall(t)}


async def reword(client: LLMClient, prompt: Prompt, scenarios: list[Scenario]) -> int:
    """Reword `scenarios` in place, batch by batch; returns how many were reworded."""
    changed = 0
    by_id = {s.id: s for s in scenarios}
    for start in range(0, len(scenarios), BATCH):
        batch = scenarios[start : start + BATCH]
        shown = [
            {"id": s.id, "title": s.title, "given": s.given, "when": s.when, "then": s.then}
            for s in batch
        ]
        try:
            answer = await client.ask(prompt, scenarios=shown)
        except LLMBudgetSpent:
            break
        if answer.value is None:
            continue
        assert isinstance(answer.value, ReadableBatch)
        for item in answer.value.items:
            sc = by_id.get(item.id)
            if sc is None or sc not in batch:
                continue
            new = (item.given.strip(), item.when.strip(), item.then.strip())
            if not all(new):
                continue
            if not _quoted(sc.given, sc.when, sc.then) <= _quoted(*new):
                continue  # it lost a page, control or text the test uses
            sc.given, sc.when, sc.then = new
            changed += 1
    return changed
