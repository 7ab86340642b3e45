"""Scenario kinds as registrations: each kind declares how it is derived from the model, its
base risk and the step kinds its scenarios may use (docs/architecture.md §4).

A registry is checked when it is built, so a kind with no derivation, a risk outside 0..1 or
a built-in kind nobody registered fails at start-up with its name; a derivation that yields a
scenario of a kind it does not own, or a step its kind does not declare, fails at once with
both names instead of producing a test no emitter expects."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qaforge.models import Scenario, ScenarioKind, StepKind

if TYPE_CHECKING:
    from qaforge.generate.scenarios import Requirements

# A kind's derivation: the model's requirements and the scenarios the kinds registered before
# it derived (the path cover walks only what those left uncovered).
Derive = Callable[["Requirements", list[Scenario]], list[Scenario]]

ENTRY_POINT_GROUP = "qaforge.scenario_kinds"


class ScenarioKindError(ValueError):
    """A scenario kind registered or derived inconsistently (the message names it)."""


@dataclass(frozen=True)
class KindSpec:
    """One scenario kind: its name, base risk and step kinds, and its derivation.

    `derive` is None for a kind another kind's derivation yields too (`derived_by`): the form
    derivation writes both the valid and the refused submission of each form."""

    name: str
    risk: float
    steps: frozenset[StepKind]
    derive: Derive | None = None
    derived_by: str = ""


class KindRegistry(Mapping[str, KindSpec]):
    """The scenario kinds of a run, in derivation order; immutable once built."""

    def __init__(self, specs: Iterable[KindSpec]) -> None:
        self._specs: dict[str, KindSpec] = {}
        for spec in specs:
            if spec.name in self._specs:
                raise ScenarioKindError(f"scenario kind {spec.name!r} is registered twice")
            self._specs[spec.name] = spec
        self._check()

    def _check(self) -> None:
        missing = sorted(k.value for k in ScenarioKind if k.value not in self._specs)
        if missing:
            raise ScenarioKindError(f"built-in scenario kinds not registered: {missing}")
        for spec in self._specs.values():
            if not 0.0 <= spec.risk <= 1.0:
                raise ScenarioKindError(
                    f"scenario kind {spec.name!r}: base risk {spec.risk} is not within 0..1"
                )
            if not spec.steps:
                raise ScenarioKindError(f"scenario kind {spec.name!r} declares no step kinds")
            if spec.derive is None:
                owner = self._specs.get(spec.derived_by)
                if owner is None or owner.derive is None:
                    raise ScenarioKindError(
                        f"scenario kind {spec.name!r} has no derivation and is not derived by "
                        f"a registered kind ({spec.derived_by!r})"
                    )

    def __getitem__(self, name: str) -> KindSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise ScenarioKindError(
                f"unknown scenario kind {name!r} (registered: {', '.join(self._specs)})"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def risk(self, name: str) -> float:
        """The base risk of kind `name`."""
        return self[name].risk

    def derive(self, req: Requirements) -> list[Scenario]:
        """Every kind's scenarios, in registration order, each checked against its kind."""
        out: list[Scenario] = []
        for spec in self._specs.values():
            if spec.derive is None:
                continue
            made = spec.derive(req, list(out))
            for sc in made:
                self._check_scenario(spec, sc)
            out += made
        return out

    def _check_scenario(self, by: KindSpec, sc: Scenario) -> None:
        kind = self[sc.kind]
        if kind.name != by.name and kind.derived_by != by.name:
            raise ScenarioKindError(
                f"the derivation of {by.name!r} made a {kind.name!r} scenario ({sc.title!r})"
            )
        undeclared = sorted({s.kind.value for s in sc.steps} - {k.value for k in kind.steps})
        if undeclared:
            raise ScenarioKindError(
                f"scenario kind {kind.name!r} uses step kinds it does not declare: "
                f"{undeclared} ({sc.title!r})"
            )
