"""Named generation strategies: the choices the learning loop can compete on."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from qaforge.models import LocatorStrategy

Strictness = Literal["minimal", "balanced", "strict", "all-visible-text"]
WaitPolicy = Literal["auto", "load", "networkidle"]
DataStyle = Literal["realistic", "required-only"]


class Strategy(BaseModel):
    """How the Evolution agent writes code: locators, assertions, waits and data."""

    name: str
    description: str = ""
    locator_priority: list[LocatorStrategy] = Field(
        default_factory=lambda: [
            LocatorStrategy.ROLE,
            LocatorStrategy.LABEL,
            LocatorStrategy.PLACEHOLDER,
            LocatorStrategy.TEST_ID,
            LocatorStrategy.TEXT,
            LocatorStrategy.ID,
            LocatorStrategy.CSS,
        ]
    )
    assertion_strictness: Strictness = "balanced"
    wait_policy: WaitPolicy = "auto"
    data_style: DataStyle = "realistic"
    max_controls_asserted: int = 3


_DEFAULT_ORDER = Strategy(name="_").locator_priority

BUILTIN: dict[str, Strategy] = {
    "balanced": Strategy(
        name="balanced",
        description="role+name locators first; the heading and a few key controls asserted",
    ),
    "strict": Strategy(
        name="strict",
        description="asserts every stable text of a page; catches more, breaks more",
        assertion_strictness="strict",
        max_controls_asserted=8,
    ),
    "resilient": Strategy(
        name="resilient",
        description="test ids before roles, minimal assertions, waits for the load event",
        locator_priority=[
            LocatorStrategy.TEST_ID,
            LocatorStrategy.ROLE,
            LocatorStrategy.LABEL,
            LocatorStrategy.PLACEHOLDER,
            LocatorStrategy.ID,
            LocatorStrategy.TEXT,
            LocatorStrategy.CSS,
        ],
        assertion_strictness="minimal",
        # Not "networkidle": an app that keeps polling (MLflow) never goes idle, and every
        # test of a suite the selector gave this strategy timed out (0 of 68 passed).
        wait_policy="load",
        data_style="required-only",
        max_controls_asserted=1,
    ),
}
DEFAULT_STRATEGY = "balanced"


class StrategyRegistry:
    """The strategies one process knows: the built-in ones plus variants registered at run time."""

    def __init__(self, extra: dict[str, Strategy] | None = None) -> None:
        self._all: dict[str, Strategy] = {**BUILTIN, **(extra or {})}

    def names(self) -> list[str]:
        return sorted(self._all)

    def get(self, name: str) -> Strategy:
        """The strategy called `name`; a clear error lists the known ones."""
        try:
            return self._all[name]
        except KeyError:
            raise KeyError(f"unknown strategy {name!r}; known: {', '.join(self.names())}") from None

    def register(self, strategy: Strategy) -> None:
        self._all[strategy.name] = strategy


def get_strategy(name: str, registry: StrategyRegistry | None = None) -> Strategy:
    """Look a strategy up by name (built-ins unless a registry is given)."""
    return (registry or StrategyRegistry()).get(name)


STRATEGIES = BUILTIN
