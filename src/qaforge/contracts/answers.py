"""What a language model may answer: each prompt file names one of these schemas
(`answer:` in its front matter), and an answer is validated against it before any code reads
it. Answers are data: element ids, states and texts the code checks against the app model,
never code."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class PlannedStep(BaseModel):
    """One step, from the state `state_id`: press, fill, select or check `element_id`, or
    submit `form_id`."""

    action: Literal["click", "fill", "select", "check", "submit"]
    state_id: str
    element_id: str | None = None
    form_id: str | None = None
    value: str = ""


class PlannedExpectation(BaseModel):
    """What shows once the steps are done: a state the model has, or a text it saw."""

    kind: Literal["state", "text"]
    value: str


class PlannedScenario(BaseModel):
    title: str = Field(max_length=120)
    steps: list[PlannedStep] = Field(min_length=1, max_length=12)
    expect: list[PlannedExpectation] = Field(min_length=1, max_length=6)


class GoalPlan(BaseModel):
    """The model's answer to one goal: scenarios realising it, or why none can."""

    scenarios: list[PlannedScenario] = Field(default_factory=list, max_length=5)
    # Set when the app model offers no way to reach the goal ("no coupon field anywhere").
    unreachable: str = ""


class TriageAnswer(BaseModel):
    """The model's reading of one failed test (advice beside the verdict)."""

    likely: Literal["app-defect", "test-problem", "environment", "unclear"]
    explanation: str = Field(max_length=400)


class ReadableItem(BaseModel):
    """One scenario's Given/When/Then in plain words (its steps stay the source of truth)."""

    id: str
    given: str = Field(max_length=240)
    when: str = Field(max_length=240)
    then: str = Field(max_length=400)


class ReadableBatch(BaseModel):
    """Rewordings of a batch of scenarios, by their ids."""

    items: list[ReadableItem] = Field(default_factory=list, max_length=40)


ANSWERS: dict[str, type[BaseModel]] = {
    "GoalPlan": GoalPlan,
    "TriageAnswer": TriageAnswer,
    "ReadableBatch": ReadableBatch,
}
