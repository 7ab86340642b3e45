"""Prometheus metrics of one server (a registry of its own: no process-wide state)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from qaforge.contracts.events import RunEvent, RunFinished, StageFinished, TestFinished


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.runs = Gauge("qaforge_runs", "Runs by state", ["state"], registry=r)
        self.stage_seconds = Histogram(
            "qaforge_stage_seconds",
            "How long each stage took",
            ["stage"],
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800),
            registry=r,
        )
        self.tests = Counter("qaforge_tests", "Test outcomes told", ["outcome"], registry=r)
        self.queue = Gauge(
            "qaforge_queue_length", "Messages waiting per agent stream", ["stream"], registry=r
        )
        self.dead_letters = Gauge(
            "qaforge_dead_letters", "Messages that failed for good", registry=r
        )
        self.llm_tokens = Counter("qaforge_llm_tokens", "Language-model tokens used", registry=r)
        self.http = Histogram(
            "qaforge_http_request_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5),
            registry=r,
        )
        self.active_runs = Gauge("qaforge_active_runs", "Runs this server drives now", registry=r)

    def on_event(self, event: RunEvent) -> None:
        """Count what runs tell."""
        if isinstance(event, StageFinished):
            self.stage_seconds.labels(event.stage).observe(event.seconds)
        elif isinstance(event, TestFinished):
            self.tests.labels(event.outcome).inc()
        elif isinstance(event, RunFinished):
            tokens = sum(u.tokens for u in event.summary.llm.values())
            if tokens:
                self.llm_tokens.inc(tokens)

    def render(self) -> bytes:
        return generate_latest(self.registry)
