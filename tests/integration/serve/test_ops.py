"""/health, /ready and /metrics."""

from __future__ import annotations

from qaforge.serve.security import Role
from tests.integration.serve.conftest import World


def test_health_and_ready_need_no_key_and_say_what_they_checked(world: World) -> None:
    with world.server.client() as c:
        assert c.get("/health").json() == {"status": "ok"}
        ready = c.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "bus": "ok", "browser": "ok"}


def test_metrics_count_runs_stages_tests_and_requests(world: World) -> None:
    with world.server.client(world.key(Role.AGENT)) as c:
        text = c.get("/metrics").text
    lines = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert lines['qaforge_runs{state="completed"}'] >= 2  # the API's run and the seeded one
    assert lines['qaforge_stage_seconds_count{stage="observe"}'] >= 1
    assert sum(v for k, v in lines.items() if k.startswith("qaforge_tests_total")) >= 1
    assert 'qaforge_queue_length{stream="agent.observation"}' in lines
    assert "qaforge_dead_letters" in lines
    assert any(
        k.startswith("qaforge_http_request_seconds_count") and 'route="/api/v2/runs"' in k
        for k in lines
    )
