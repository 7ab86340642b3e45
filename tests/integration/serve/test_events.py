"""Live progress: a WebSocket connected as a run starts hears it to the end; SSE replays it."""

from __future__ import annotations

import json

from qaforge.serve.security import Role
from tests.integration.serve.conftest import OWN, World


def test_a_websocket_hears_the_run_from_start_to_summary(world: World) -> None:
    heard = world.ws_events
    kinds = [e["kind"] for e in heard]
    assert kinds[-1] in ("run-finished", "state"), kinds[-5:]
    assert "run-started" in kinds and kinds.count("run-finished") == 1
    assert {e["run_id"] for e in heard} == {world.run[OWN]}
    started = [e["stage"] for e in heard if e["kind"] == "stage-started"]
    assert started[:2] == ["observe", "require"] and "report" in started
    # Test results land as they happen, before the summary.
    tests = [e for e in heard if e["kind"] == "test-finished"]
    finished = next(e for e in heard if e["kind"] == "run-finished")
    assert tests and kinds.index("test-finished") < kinds.index("run-finished")
    assert finished["summary"]["tests"]["generated"] == len({t["test_id"] for t in tests})
    assert any(e["kind"] == "crawl-progress" for e in heard)


def test_server_sent_events_replay_a_finished_run(world: World) -> None:
    url = f"/api/v2/runs/{world.run[OWN]}/events"
    with world.server.client(world.key(Role.VIEWER)) as c, c.stream("GET", url) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events: list[dict[str, object]] = []
        kind = ""
        for line in r.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
                assert data["kind"] == kind
                events.append(data)
    assert [e["kind"] for e in events] == [e["kind"] for e in world.ws_events]
