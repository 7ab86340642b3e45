"""Fingerprint similarity: which element on today's page is the one the test meant?"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher

from qaforge.execute.meaning import contradiction
from qaforge.models import Element, Fingerprint

THRESHOLD = 0.6
# Role and position say "same kind of control in the same place"; name and attributes say
# "same control"; no single feature can carry a match alone.
WEIGHTS = {"role": 0.30, "tag": 0.08, "name": 0.22, "text": 0.08, "attrs": 0.14, "position": 0.18}
_KEY_ATTRS = ("id", "name", "data-testid", "type", "href", "placeholder", "aria-label")


def _ratio(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return SequenceMatcher(None, a.lower(), b.lower()).ratio()


def similarity(old: Fingerprint, new: Fingerprint) -> float:
    """0..1: how alike two element fingerprints are."""
    score = WEIGHTS["role"] * (old.role == new.role)
    score += WEIGHTS["tag"] * (old.tag == new.tag)
    score += WEIGHTS["name"] * _ratio(old.name, new.name)
    score += WEIGHTS["text"] * _ratio(old.text, new.text)
    keys = [k for k in _KEY_ATTRS if k in old.attributes or k in new.attributes]
    if keys:
        same = sum(_ratio(old.attributes.get(k, ""), new.attributes.get(k, "")) for k in keys)
        score += WEIGHTS["attrs"] * same / len(keys)
    else:
        score += WEIGHTS["attrs"]
    dist = abs(old.x - new.x) + abs(old.y - new.y)
    score += WEIGHTS["position"] * max(0.0, 1.0 - 4 * dist)
    return round(score, 4)


@dataclass
class Match:
    """The outcome of matching a fingerprint: the element to use, and the ones refused."""

    best: tuple[Element, float] | None = None
    # Candidates above the threshold whose meaning contradicts the original: (el, score, why).
    refused: list[tuple[Element, float, str]] = field(default_factory=list)

    def refusals(self) -> str:
        """The refused candidates, for a heal record ("" when none was refused)."""
        return "; ".join(
            f"refused {el.role} {el.name!r} (score {score:.2f}): {why}"
            for el, score, why in self.refused
        )


def match(old: Fingerprint, candidates: list[Element], threshold: float = THRESHOLD) -> Match:
    """The most similar visible element with a unique locator that clears the threshold and
    does not contradict the original's meaning (`meaning.contradiction`); a contradicting
    candidate is never used, however well it scores and even when it is the only one."""
    scored = [
        (el, similarity(old, el.fingerprint))
        for el in candidates
        if el.visible and el.best_locator() is not None and el.role not in {"heading"}
    ]
    result = Match()
    for el, score in sorted(scored, key=lambda p: p[1], reverse=True):
        if score < threshold:
            break
        why = contradiction(old, el)
        if why is None:
            result.best = (el, score)
            break
        result.refused.append((el, score, why))
    return result


def best_match(
    old: Fingerprint, candidates: list[Element], threshold: float = THRESHOLD
) -> tuple[Element, float] | None:
    """The most similar visible element with a unique locator, if it clears the threshold
    and means the same as the original (see `match`)."""
    return match(old, candidates, threshold).best
