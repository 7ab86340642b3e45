"""What a run is asked to do, and what it ends with (the graph driver's input and output)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from qaforge.contracts.summary import RunSummary
from qaforge.contracts.tasks import ObserveRequest


class RunRequest(BaseModel):
    """A whole pipeline run. Credentials appear only as references inside `observe`."""

    run_id: str = ""
    observe: ObserveRequest
    out_dir: str
    app: str
    # "auto": the learning loop picks (the default strategy when learning is off).
    strategy: str = "auto"
    strategy_params: dict[str, Any] | None = None
    # Filled in when the strategy is chosen, so a resumed run generates with the same one.
    variant_id: int | None = None
    experiment_id: int | None = None
    patterns_applied: list[str] = Field(default_factory=list)
    strategy_method: str = ""
    language: str = "python"
    standalone: bool = False
    max_tests: int | None = None
    accessibility: bool = False
    # What the user says matters (`--goal`, `--stories`): planned by the language model.
    goals: list[str] = Field(default_factory=list)
    llm_budget: int | None = None
    # Explain each failed test with the language model (advice only).
    triage: bool = False
    # Reword the scenarios' Given/When/Then with the language model.
    readable: bool = False
    runs: int = 2
    workers: int = 2
    heal: bool = True
    max_heal_rounds: int = 3
    pdf: bool = True
    # `qaforge test`: run an existing suite, no crawl and no generation.
    existing_suite: str | None = None
    base_url: str | None = None


class RunOutcome(BaseModel):
    run_id: str
    summary_path: str
    exit_code: int
    summary: RunSummary
