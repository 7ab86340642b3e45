"""The workflow state machine: allowed moves persist with an audit entry, others are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import update

from qaforge.orchestrate.runs import ResumeRefused, RunNotFound, RunStore
from qaforge.orchestrate.states import ALLOWED, InvalidTransition, RunState, check
from qaforge.store.database import Database
from qaforge.store.migrate import upgrade
from qaforge.store.tables import RunRow
from qaforge.store.times import now


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[RunStore]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    upgrade(url)
    db = Database(url)
    yield RunStore(db)
    await db.dispose()


def _id(request: pytest.FixtureRequest) -> str:
    import uuid

    return f"run-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize(
    ("current", "target"),
    [(c, t) for c in RunState for t in RunState if t not in ALLOWED[c]],
)
def test_every_move_outside_the_table_is_refused(current: RunState, target: RunState) -> None:
    with pytest.raises(InvalidTransition, match=f"cannot go from {current} to {target}"):
        check("r", current, target)


async def test_lifecycle_is_persisted_and_audited(
    store: RunStore, request: pytest.FixtureRequest
) -> None:
    rid = _id(request)
    await store.create(rid, {"app": "x"}, app="x", actor="me")
    await store.transition(rid, RunState.RUNNING, actor="me", owner="me")
    await store.transition(rid, RunState.FAILED, actor="me", error="crawl failed")
    info = await store.get(rid)
    assert info.state is RunState.FAILED and info.error == "crawl failed"
    with pytest.raises(InvalidTransition, match="from FAILED it may go to PENDING"):
        await store.transition(rid, RunState.COMPLETED)
    await store.transition(rid, RunState.PENDING, action="retry")
    await store.transition(rid, RunState.RUNNING)
    await store.transition(rid, RunState.COMPLETED, exit_code=0)
    with pytest.raises(InvalidTransition, match="nothing \\(final state\\)"):
        await store.transition(rid, RunState.PENDING)
    moves = [(h["action"], h["from"], h["to"]) for h in await store.history(rid)]
    assert moves == [
        ("create", None, "PENDING"),
        ("transition", "PENDING", "RUNNING"),
        ("transition", "RUNNING", "FAILED"),
        ("retry", "FAILED", "PENDING"),
        ("transition", "PENDING", "RUNNING"),
        ("transition", "RUNNING", "COMPLETED"),
    ]
    assert (await store.get(rid)).state is RunState.COMPLETED


async def test_resume_rules(store: RunStore, request: pytest.FixtureRequest) -> None:
    rid = _id(request)
    await store.create(rid, {})
    await store.transition(rid, RunState.RUNNING, owner="p1", heartbeat_at=now())
    with pytest.raises(ResumeRefused, match="RUNNING and its owner p1 was alive"):
        await store.check_resumable(rid, stale_after_s=30)
    async with store.db.session() as s:
        await s.execute(
            update(RunRow).where(RunRow.id == rid).values(heartbeat_at=now() - timedelta(seconds=60))
        )
    assert (await store.check_resumable(rid, stale_after_s=30)).state is RunState.RUNNING
    await store.transition(rid, RunState.CANCELLED)
    assert (await store.check_resumable(rid, 30)).state is RunState.CANCELLED
    await store.transition(rid, RunState.PENDING)
    await store.transition(rid, RunState.RUNNING)
    await store.transition(rid, RunState.COMPLETED)
    with pytest.raises(ResumeRefused, match="COMPLETED"):
        await store.check_resumable(rid, 30)


async def test_unknown_run_and_literal_credentials(store: RunStore) -> None:
    with pytest.raises(RunNotFound, match="no run with id 'nope'"):
        await store.transition("nope", RunState.RUNNING)
    from qaforge.bus.messages import SecretLeakError

    with pytest.raises(SecretLeakError):
        await store.create("leaky", {"observe": {"target": {"auth": {"password": "hunter2"}}}})


async def test_listing_newest_first(store: RunStore, request: pytest.FixtureRequest) -> None:
    a, b = _id(request), _id(request)
    await store.create(a, {})
    await store.create(b, {})
    ids = [r.id for r in await store.all()]
    assert ids.index(b) < ids.index(a)
