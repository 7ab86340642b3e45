"""The answer schemas prompt files may name (`answer:` in their front matter)."""

from __future__ import annotations

from pydantic import BaseModel

from qaforge.generate.goals import GoalPlan

ANSWERS: dict[str, type[BaseModel]] = {"GoalPlan": GoalPlan}
