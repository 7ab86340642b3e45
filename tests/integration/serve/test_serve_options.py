"""`qaforge serve` options: not ready without a browser (and why), /metrics open when asked,
JSON log lines with the request's trace id."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx

from tests.integration.serve.server import Server


def test_ready_says_what_is_missing_metrics_open_and_json_logs(tmp_path: Path) -> None:
    server = Server(
        tmp_path / "home",
        env={
            "QAFORGE_CHROMIUM": str(tmp_path / "no-such-chromium"),
            "QAFORGE_LOG_LEVEL": "INFO",
            "QAFORGE_LOG_FORMAT": "json",
        },
        args=["--metrics-open"],
    )
    server.start()
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    try:
        with httpx.Client(base_url=server.url, timeout=30) as c:
            traceparent = f"00-{trace}-00f067aa0ba902b7-01"
            assert c.get("/health", headers={"traceparent": traceparent}).status_code == 200
            ready = c.get("/ready")
            assert ready.status_code == 503
            checks = ready.json()["checks"]
            assert checks["database"] == "ok" and checks["bus"] == "ok"
            assert "QAFORGE_CHROMIUM" in checks["browser"]
            metrics = c.get("/metrics")
            assert metrics.status_code == 200 and "qaforge_runs" in metrics.text
            # The API stays closed.
            assert c.get("/api/v2/runs").status_code == 401
    finally:
        server.stop()
    # Stopped by SIGTERM: drained, then ended by the signal (uvicorn re-raises it).
    assert server.proc is not None and server.proc.returncode in (0, -signal.SIGTERM)
    assert "Traceback" not in server.log.read_text()
    lines = [
        json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")
    ]
    health = [x for x in lines if x["message"].startswith("GET /health ")]
    assert any(x["trace_id"] == trace and x["level"] == "INFO" for x in health)
    assert any(x["message"].startswith("serving: database sqlite") for x in lines)
