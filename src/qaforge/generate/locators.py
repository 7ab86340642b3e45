"""The locator chooser: the strategy's preferred candidate among those verified unique."""

from __future__ import annotations

from qaforge.models import AppModel, Element, Locator, Step


class LocatorChooser:
    """Picks, for a step's element, the first unique candidate in the strategy's order."""

    def __init__(self, model: AppModel, priority: list[str]) -> None:
        self.priority = [str(p) for p in priority]
        self.elements: dict[str, Element] = {}
        for state in model.states:
            for el in state.elements:
                self.elements.setdefault(el.id, el)

    def candidates(self, step: Step) -> list[Locator]:
        el = self.elements.get(step.element_id or "")
        cands = list(el.locators) if el else []
        if step.locator is not None and all(c != step.locator for c in cands):
            cands.append(step.locator)
        return [c for c in cands if c.count == 1]

    def choose(self, step: Step) -> Locator | None:
        """The unique candidate the strategy prefers, or None when the step has no element."""
        cands = self.candidates(step)
        if not cands:
            return None
        rank = {s: i for i, s in enumerate(self.priority)}
        return min(cands, key=lambda c: rank.get(str(c.strategy), len(rank)))
