"""The crawl's recorder: what the crawl has seen so far (states, transitions, findings, the
pages the HTTP walk found, errors and figures), and the `AppModel` made of it.

The explorer decides what a state or a transition is; the recorder keeps them, keeps one of
each kind of transition for the suite, and turns the whole into a model at any moment (after
an error too)."""

from __future__ import annotations

from dataclasses import dataclass, field

from qaforge.crawl.observe import volatile_free
from qaforge.crawl.relations import find_sum
from qaforge.crawl.stability import mark_unstable
from qaforge.crawl.urltemplate import url_template
from qaforge.models import (
    AppModel,
    CrawlStats,
    Finding,
    FindingKind,
    HttpPage,
    State,
    Target,
    Transition,
)

MAX_ERRORS = 50


@dataclass
class Recorder:
    """The states, transitions and findings of one crawl of `target`."""

    target: Target
    states: dict[str, State] = field(default_factory=dict)
    transitions: dict[str, Transition] = field(default_factory=dict)
    findings: dict[tuple[str, str, str], Finding] = field(default_factory=dict)
    # Normalized URL → the state first seen there.
    url_state: dict[str, str] = field(default_factory=dict)
    # Template → the URLs of it that were visited.
    template_urls: dict[str, set[str]] = field(default_factory=dict)
    # States whose page depends on a client-side mode (`crawl/modes.py`): reached through a
    # control that swapped the navigation, or from such a state.
    mode_states: set[str] = field(default_factory=set)
    pages: list[HttpPage] = field(default_factory=list)
    stats: CrawlStats = field(default_factory=CrawlStats)

    def finding(self, kind: FindingKind, where: str, detail: str) -> None:
        """Note a finding once per kind, template and (volatile-free) detail."""
        key = (kind, url_template(where), volatile_free(detail))
        if key not in self.findings:
            self.findings[key] = Finding(kind=kind, where=where, detail=detail)

    def error(self, message: str) -> None:
        """Note a crawl error (the first `MAX_ERRORS`)."""
        if len(self.stats.errors) < MAX_ERRORS:
            self.stats.errors.append(message)

    def skip(self, message: str) -> None:
        """Note an action the page did not take (the first `MAX_ERRORS`)."""
        if len(self.stats.skipped) < MAX_ERRORS:
            self.stats.skipped.append(message)

    def figures(self) -> CrawlStats:
        """The running figures (states, transitions, templates) for a progress line."""
        self.stats.states = len(self.states)
        self.stats.transitions = len(self.transitions)
        self.stats.templates = len({s.url_template for s in self.states.values()})
        return self.stats

    def mark_kept(self) -> None:
        """One kept transition per (source template, action), site-wide links once per target."""
        seen: set[tuple[str, ...]] = set()
        ordered = sorted(
            self.transitions.values(),
            key=lambda t: (
                self.states[t.source].depth if t.source in self.states else 99,
                t.source,
                t.id,
            ),
        )
        for t in ordered:
            src = self.states.get(t.source)
            template = src.url_template if src else ""
            el = src.element(t.action.element_id or "") if src else None
            key: tuple[str, ...] = (template, t.action.signature())
            site_key: tuple[str, ...] | None = None
            if el is not None and el.role == "link" and t.target in self.states:
                target_template = self.states[t.target].url_template
                site_key = ("link", volatile_free(el.name), target_template)
            t.kept = key not in seen and (site_key is None or site_key not in seen)
            seen.add(key)
            if site_key is not None:
                seen.add(site_key)

    def model(self, stopped_by: str, duration_s: float, ready_p90_s: float) -> AppModel:
        """The model as recorded so far (safe to call after an error)."""
        self.mark_kept()
        mark_unstable(list(self.states.values()), self.transitions.values())
        for state in self.states.values():
            state.total = state.total or find_sum(state, state.stable_texts)
        self.figures()
        self.stats.forms = len({f.id for s in self.states.values() for f in s.forms})
        self.stats.duration_s = round(duration_s, 3)
        self.stats.stopped_by = stopped_by or "frontier exhausted"
        self.stats.ready_p90_s = ready_p90_s
        states = sorted(self.states.values(), key=lambda s: (s.depth, s.url_template, s.id))
        transitions = sorted(self.transitions.values(), key=lambda t: (t.source, t.id))
        findings = sorted(self.findings.values(), key=lambda f: (f.kind, f.where, f.detail))
        return AppModel(
            target=self.target,
            states=states,
            transitions=transitions,
            crawl_stats=self.stats,
            findings=findings,
            pages=self.pages,
        )
