"""The locator chooser: the strategy's preferred candidate among those verified unique."""

from __future__ import annotations

from qaforge.models import AppModel, Element, Locator, Step


class LocatorChooser:
    """Picks, for a step's element, the first unique candidate in the strategy's order."""

    def __init__(self, model: AppModel, priority: list[str]) -> None:
        self.priority = [str(p) for p in priority]
        # Ids are stable across instances of a template, and numbers are left out of them, so
        # one id can name different controls ("Details of row 10" here, "... row 20" there).
        self.elements: dict[str, list[Element]] = {}
        for state in model.states:
            for el in state.elements:
                self.elements.setdefault(el.id, []).append(el)

    def element(self, step: Step) -> Element | None:
        """The model's element the step acts on: among those with its id, the one it names."""
        found = self.elements.get(step.element_id or "", [])
        for el in found:
            if step.locator is not None and step.locator in el.locators:
                return el
        named = [el for el in found if step.text and el.name == step.text]
        return next(iter(named or found), None)

    def candidates(self, step: Step) -> list[Locator]:
        el = self.element(step)
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
