"""Triage: a short explanation of each failed test from its evidence, by a language model.

Advice only: it is shown beside the verdict in the report and never changes it. The evidence
(the failure message, the scenario's title and steps) is the app's and the test's text, and
goes into the prompt as quoted data."""

from __future__ import annotations

from qaforge.contracts.answers import TriageAnswer
from qaforge.contracts.summary import TriageNote
from qaforge.llm.client import LLMBudgetSpent, LLMClient
from qaforge.llm.prompts import Prompt
from qaforge.models import RunResults, Scenario, TestOutcome, TestSuite

# A report explains at most this many failures (the rest say "not triaged").
MAX_TRIAGED = 30


def _evidence(
    test_id: str, failure_class: str, message: str, scenario: Scenario | None
) -> dict[str, object]:
    return {
        "test": test_id,
        "verdict": failure_class,
        "message": message[:1500],
        "scenario": scenario.title if scenario else "",
        "steps": [
            f"{s.kind.value} {s.text or s.url or s.value or ''}".strip()
            for s in (scenario.steps if scenario else [])
        ][:20],
    }


async def triage(
    client: LLMClient,
    prompt: Prompt,
    results: RunResults,
    suite: TestSuite | None,
    scenarios: list[Scenario],
) -> list[TriageNote]:
    """One note per failed test (the first `MAX_TRIAGED`), in the results' order."""
    by_id = {s.id: s for s in scenarios}
    scenario_of = {t.test_id: t.scenario_id for t in suite.tests} if suite else {}
    notes: list[TriageNote] = []
    failed = [
        r for r in results.results if r.outcome in {TestOutcome.FAILED, TestOutcome.APP_DEFECT}
    ]
    for r in failed[:MAX_TRIAGED]:
        verdict = r.failure_class.value if r.failure_class else "failed"
        evidence = _evidence(
            r.test_id, verdict, r.message, by_id.get(scenario_of.get(r.test_id, ""))
        )
        try:
            answer = await client.ask(prompt, failure=evidence)
        except LLMBudgetSpent as exc:
            notes.append(TriageNote(test_id=r.test_id, verdict=verdict, note=f"not triaged: {exc}"))
            continue
        value = answer.value
        if value is None:
            notes.append(
                TriageNote(
                    test_id=r.test_id, verdict=verdict, note="no valid answer from the model"
                )
            )
            continue
        assert isinstance(value, TriageAnswer)
        notes.append(
            TriageNote(
                test_id=r.test_id, verdict=verdict, likely=value.likely, note=value.explanation
            )
        )
    return notes
