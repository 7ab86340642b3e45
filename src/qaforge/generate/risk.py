"""The Analysis step: a 0..1 risk per scenario from explainable features, and a test budget."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from qaforge.generate.kinds import KindRegistry
from qaforge.generate.scenarios import default_kinds
from qaforge.models import ActionKind, AppModel, Scenario, StepKind

_MONEY = re.compile(r"checkout|cart|basket|pay|order|billing|invoice|price", re.I)
_ADMIN = re.compile(r"admin|manage|settings|dashboard|staff", re.I)
_AUTH = re.compile(r"login|log-in|signin|sign-in|account|password|register|signup", re.I)


class HistoryProvider(Protocol):
    """Past outcomes of a template on an app (from the learning store), if any."""

    def template_rates(self, app: str, template: str) -> tuple[float, float] | None:
        """(failure rate, defect rate) of tests of `template`, or None without history."""


@dataclass
class NoHistory:
    """The provider used when nothing has been recorded yet."""

    def template_rates(self, app: str, template: str) -> tuple[float, float] | None:
        return None


def features(
    scenario: Scenario, model: AppModel, kinds: KindRegistry | None = None
) -> dict[str, float]:
    """Each feature's contribution to the risk of `scenario` (before clamping); its kind's base
    risk is the one the kind registered."""
    registry = kinds if kinds is not None else default_kinds()
    f: dict[str, float] = {f"kind:{scenario.kind}": registry.risk(scenario.kind)}
    text = " ".join([scenario.template, scenario.title, *scenario.tags])
    states = [s for s in (model.state(i) for i in scenario.source_states) if s is not None]
    transitions = [t for t in model.transitions if t.id in set(scenario.source_transitions)]
    forms = [
        form
        for s in states
        for form in s.forms
        if any(t.action.form_id == form.id for t in transitions)
    ]
    if scenario.requires_login or any(s.requires_login for s in states) or _AUTH.search(text):
        f["authentication"] = 0.15
    if _MONEY.search(text) or any(form.purpose in {"checkout", "add-to-cart"} for form in forms):
        f["payment/checkout/cart"] = 0.25
    if _ADMIN.search(text):
        f["admin area"] = 0.15
    if any(
        t.action.kind == ActionKind.FILL_SUBMIT and t.action.variant == "valid" for t in transitions
    ):
        methods = {form.method for form in forms}
        f["state-changing submit" if "post" in methods else "form submit"] = (
            0.15 if "post" in methods else 0.05
        )
    if forms:
        fields = max(len(form.fields) for form in forms)
        required = max(sum(x.required for x in form.fields) for form in forms)
        f["form size"] = min(0.10, 0.015 * fields)
        if required:
            f["required fields"] = min(0.08, 0.02 * required)
    calls = sum(1 for t in transitions for n in t.network if n.resource_type in {"fetch", "xhr"})
    calls += sum(1 for s in states if s.reach_path)
    if calls:
        f["network calls / client-side state"] = min(0.08, 0.03 * calls)
    depth = max((s.depth for s in states), default=0)
    if depth:
        f["depth"] = min(0.08, 0.02 * depth)
    steps = len([s for s in scenario.steps if s.kind not in {StepKind.GOTO}])
    if steps > 6:
        f["long scenario"] = min(0.06, 0.005 * steps)
    errors = any(s.console_errors for s in states) or any(
        (t.http_status or 0) >= 400 or t.console_errors for t in transitions
    )
    if errors or scenario.expect_defect:
        f["errors seen in the crawl"] = 0.25
    return f


def score(
    scenarios: list[Scenario],
    model: AppModel,
    app: str,
    history: HistoryProvider | None = None,
    kinds: KindRegistry | None = None,
) -> list[Scenario]:
    """Scores, explains and orders `scenarios` (highest risk first); returns new objects."""
    history = history or NoHistory()
    registry = kinds if kinds is not None else default_kinds()
    out = []
    for sc in scenarios:
        f = features(sc, model, registry)
        rates = history.template_rates(app, sc.template)
        if rates is not None:
            fail_rate, defect_rate = rates
            if fail_rate:
                f["past failures of this template"] = 0.2 * fail_rate
            if defect_rate:
                f["past defects of this template"] = 0.3 * defect_rate
        risk = round(min(1.0, max(0.0, sum(f.values()))), 3)
        top = sorted(f.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        reasons = [f"{name} (+{value:.2f})" for name, value in top]
        out.append(sc.model_copy(update={"risk": risk, "risk_reasons": reasons}))
    out.sort(key=lambda s: (-s.risk, s.kind, s.title))
    for i, sc in enumerate(out):
        sc.priority = i + 1
    return out


def apply_budget(
    ranked: list[Scenario], max_tests: int | None
) -> tuple[list[Scenario], list[Scenario], list[str]]:
    """Keep the `max_tests` riskiest; say which dropped ones took a transition's only cover."""
    if max_tests is None or len(ranked) <= max_tests:
        return ranked, [], []
    kept, dropped = ranked[:max_tests], ranked[max_tests:]
    covered = {t for s in kept for t in s.source_transitions}
    notes = []
    for sc in dropped:
        lost = [t for t in sc.source_transitions if t not in covered]
        if lost:
            notes.append(
                f"dropped {sc.title!r} (risk {sc.risk:.2f}): transitions {', '.join(lost)} "
                "are now covered by no test"
            )
            covered.update(lost)
    return kept, dropped, notes
