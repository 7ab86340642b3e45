"""Agent types by name, imported lazily, so a worker runs whatever agents exist.

A catalog maps an agent type (observation, requirements, analysis, evolution, execution,
reporting) to a class or to a `"module:Class"` string. `Catalog.load("pkg.mod:ATTR")` reads a
different catalog (a plugin's, or a test's lightweight fakes); runs remember which catalog
they started with so `qaforge resume` uses the same.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from qaforge.agents.base import BaseAgent
from qaforge.config import Settings
from qaforge.contracts.generation import GenerationRecorder, NoopRecorder
from qaforge.contracts.tasks import ANALYZE, EVOLVE, EXECUTE, HEAL, OBSERVE, REPORT, REQUIRE
from qaforge.errors import UserError

DEFAULT: dict[str, str] = {
    "observation": "qaforge.agents.observation:ObservationAgent",
    "requirements": "qaforge.agents.requirements:RequirementsAgent",
    "analysis": "qaforge.agents.analysis:AnalysisAgent",
    "evolution": "qaforge.agents.evolution:EvolutionAgent",
    "execution": "qaforge.agents.execution:ExecutionAgent",
    "reporting": "qaforge.agents.reporting:ReportingAgent",
}

# Which agent type takes each task type.
TASK_AGENT: dict[str, str] = {
    OBSERVE: "observation",
    REQUIRE: "requirements",
    ANALYZE: "analysis",
    EVOLVE: "evolution",
    EXECUTE: "execution",
    HEAL: "execution",
    REPORT: "reporting",
}

# The learning loop provides `make_recorder(settings)` here; absent, generations go nowhere.
RECORDER_MODULE = "qaforge.learn.recorder"


class CatalogError(UserError):
    """An unknown agent type, or a catalog or agent class that cannot be imported."""


def _import(spec: str) -> Any:
    module, _, attr = spec.partition(":")
    if not module or not attr:
        raise CatalogError(f"{spec!r} is not of the form package.module:Name")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise CatalogError(f"cannot import {spec}: {exc}") from exc


def default_recorder(settings: Settings) -> GenerationRecorder:
    """The learning loop's recorder when it is installed and enabled, else a no-op."""
    if not settings.learning_enabled:
        return NoopRecorder()
    try:
        module = importlib.import_module(RECORDER_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name == RECORDER_MODULE:
            return NoopRecorder()
        raise
    recorder: GenerationRecorder = module.make_recorder(settings)
    return recorder


class Catalog:
    """Agent type → agent class, resolved on first use."""

    def __init__(
        self, entries: Mapping[str, str | type[BaseAgent]] | None = None, spec: str | None = None
    ) -> None:
        self.entries: dict[str, str | type[BaseAgent]] = dict(entries or DEFAULT)
        self.spec = spec  # where it was loaded from (None: the built-in one)

    @classmethod
    def load(cls, spec: str | None) -> Catalog:
        """The built-in catalog (None) or the mapping at `module:ATTR`."""
        if not spec:
            return cls()
        entries = _import(spec)
        if not isinstance(entries, Mapping):
            raise CatalogError(f"{spec} is not a mapping of agent type to class")
        return cls(entries, spec)

    @property
    def types(self) -> list[str]:
        """Known agent types."""
        return sorted(self.entries)

    def agent_class(self, agent_type: str) -> type[BaseAgent]:
        """Import and return the class for `agent_type`."""
        if agent_type not in self.entries:
            raise CatalogError(f"unknown agent type {agent_type!r}; known: {', '.join(self.types)}")
        entry = self.entries[agent_type]
        cls = _import(entry) if isinstance(entry, str) else entry
        if not (isinstance(cls, type) and issubclass(cls, BaseAgent)):
            raise CatalogError(f"{entry} is not a BaseAgent subclass")
        return cls

    def make(
        self, agent_type: str, settings: Settings, recorder: GenerationRecorder | None = None
    ) -> BaseAgent:
        """A new agent of `agent_type`."""
        cls = self.agent_class(agent_type)
        agent = cls(settings)
        agent.recorder = recorder if recorder is not None else default_recorder(settings)
        return agent
