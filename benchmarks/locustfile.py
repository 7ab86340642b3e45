"""Users of `qaforge serve` for benchmarks/api_load.py: they list and read runs, projects and
artifacts (and the baseline task reads /health). Keys come from QAFORGE_BENCH_KEYS."""

from __future__ import annotations

import os
import random

from locust import HttpUser, between, task

KEYS = [k for k in os.environ.get("QAFORGE_BENCH_KEYS", "").split(",") if k]
RUNS = [r for r in os.environ.get("QAFORGE_BENCH_RUNS", "").split(",") if r]
# Finished runs: their files exist (a run still going answers 404 for its report, rightly).
DONE = [r for r in os.environ.get("QAFORGE_BENCH_DONE", "").split(",") if r] or RUNS


class Reader(HttpUser):
    """A dashboard or CI client reading what runs produced."""

    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {random.choice(KEYS)}"

    @task(4)
    def list_runs(self) -> None:
        self.client.get("/api/v2/runs?limit=20", name="GET /api/v2/runs")

    @task(4)
    def read_run(self) -> None:
        self.client.get(f"/api/v2/runs/{random.choice(RUNS)}", name="GET /api/v2/runs/{id}")

    @task(2)
    def read_artifact(self) -> None:
        self.client.get(
            f"/api/v2/runs/{random.choice(DONE)}/artifacts/summary.json",
            name="GET /api/v2/runs/{id}/artifacts/summary.json",
        )

    @task(1)
    def read_report(self) -> None:
        self.client.get(
            f"/api/v2/runs/{random.choice(DONE)}/artifacts/report.html",
            name="GET /api/v2/runs/{id}/artifacts/report.html",
        )

    @task(2)
    def list_projects(self) -> None:
        self.client.get("/api/v2/projects", name="GET /api/v2/projects")

    @task(1)
    def health(self) -> None:
        self.client.get("/health", name="GET /health (baseline)")
