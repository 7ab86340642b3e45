"""Charts as inline SVG (matplotlib's SVG backend): no external assets in the report."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

PALETTE = {
    "passed": "#16a34a",
    "healed": "#0ea5e9",
    "failed": "#dc2626",
    "app_defects": "#f59e0b",
    "quarantined": "#a855f7",
    "flaky": "#ec4899",
}


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def outcomes_chart(tests: dict[str, int]) -> str:
    """Horizontal bars of test outcomes."""
    keys = ["passed", "healed", "failed", "app_defects", "quarantined"]
    values = [tests.get(k, 0) for k in keys]
    fig, ax = plt.subplots(figsize=(5.2, 2.2))
    ax.barh(keys, values, color=[PALETTE[k] for k in keys])
    for i, v in enumerate(values):
        ax.text(v + 0.3, i, str(v), va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel("tests")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def risk_chart(risks: list[float]) -> str:
    """Histogram of scenario risk."""
    fig, ax = plt.subplots(figsize=(5.2, 2.2))
    ax.hist(risks or [0.0], bins=10, range=(0, 1), color="#2563eb", edgecolor="white")
    ax.set_xlabel("risk")
    ax.set_ylabel("scenarios")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def coverage_chart(cov: dict[str, float | None]) -> str:
    """Coverage of templates, transitions and forms (fractions; None: nothing to cover)."""
    keys = list(cov)
    shares = [cov[k] or 0.0 for k in keys]
    fig, ax = plt.subplots(figsize=(5.2, 1.8))
    ax.barh(keys, [1.0] * len(keys), color="#e5e7eb")
    ax.barh(keys, shares, color="#16a34a")
    for i, k in enumerate(keys):
        label = "n/a" if cov[k] is None else f"{shares[i]:.0%}"
        ax.text(min(shares[i], 0.9) + 0.02, i, label, va="center", fontsize=9)
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def durations_chart(durations: dict[str, float]) -> str:
    """Time per pipeline stage."""
    keys = [k for k in ("observe", "require", "analyze", "evolve", "execute", "report")]
    values = [durations.get(k, 0.0) for k in keys]
    fig, ax = plt.subplots(figsize=(5.2, 2.2))
    ax.barh(keys, values, color="#64748b")
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:.1f}s", va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel("seconds")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def trend_chart(labels: list[str], series: dict[str, list[float | None]]) -> str:
    """Lines of figures over runs (fractions 0-1; None: not measured in that run). Built on a
    `Figure` of its own, not pyplot's global one: a server draws it off the event loop."""
    fig = Figure(figsize=(7.5, 2.6))
    ax = fig.add_subplot()
    xs = list(range(len(labels)))
    colours = ["#16a34a", "#2563eb", "#a855f7", "#f59e0b"]
    for (name, values), colour in zip(series.items(), colours, strict=False):
        points = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
        if points:
            ax.plot(
                [p[0] for p in points], [p[1] for p in points], marker="o", label=name, color=colour
            )
    ax.set_ylim(-0.02, 1.02)
    ax.set_xticks(xs, labels, rotation=30, ha="right", fontsize=7)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.legend(fontsize=8, loc="lower left", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg") :]
