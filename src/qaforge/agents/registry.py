"""The agent registry: who is alive, with what capabilities, how loaded (backed by the DB)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select, update

from qaforge.store.database import Database
from qaforge.store.tables import AgentRow
from qaforge.store.times import aware, now


@dataclass(frozen=True)
class AgentInfo:
    """A registered agent as the registry knows it."""

    id: str
    agent_type: str
    capabilities: frozenset[str]
    inbox: str
    load: float
    host: str
    pid: int
    heartbeat_at: datetime


def _info(row: AgentRow) -> AgentInfo:
    hb = aware(row.heartbeat_at)
    assert hb is not None
    return AgentInfo(
        row.id,
        row.agent_type,
        frozenset(row.capabilities),
        row.inbox,
        row.load,
        row.host,
        row.pid,
        hb,
    )


class AgentRegistry:
    """Register, heartbeat, deregister, find by capability; agents silent for `stale_after_s`
    do not count and are expired."""

    def __init__(self, db: Database, stale_after_s: float = 30.0) -> None:
        self.db = db
        self.stale_after_s = stale_after_s

    def _cutoff(self) -> datetime:
        return now() - timedelta(seconds=self.stale_after_s)

    async def register(
        self, agent_id: str, agent_type: str, capabilities: frozenset[str], inbox: str = ""
    ) -> None:
        """Add (or refresh) an agent."""
        async with self.db.session() as s:
            row = await s.get(AgentRow, agent_id)
            if row is None:
                row = AgentRow(id=agent_id)
                s.add(row)
            row.agent_type = agent_type
            row.capabilities = sorted(capabilities)
            row.inbox = inbox
            row.host = socket.gethostname()
            row.pid = os.getpid()
            row.load = 0.0
            row.started_at = row.heartbeat_at = now()

    async def heartbeat(self, agent_id: str, load: float = 0.0) -> bool:
        """Mark the agent alive; False when it was expired meanwhile (it should re-register)."""
        async with self.db.session() as s:
            res = await s.execute(
                update(AgentRow)
                .where(AgentRow.id == agent_id)
                .values(heartbeat_at=now(), load=load)
            )
            return bool(getattr(res, "rowcount", 0))

    async def deregister(self, agent_id: str) -> None:
        """Remove the agent."""
        async with self.db.session() as s:
            await s.execute(delete(AgentRow).where(AgentRow.id == agent_id))

    async def get(self, agent_id: str) -> AgentInfo | None:
        """One agent, fresh or not."""
        async with self.db.session() as s:
            row = await s.get(AgentRow, agent_id)
            return _info(row) if row else None

    async def alive(self, agent_id: str) -> bool:
        """Whether the agent is registered with a fresh heartbeat and its process, when it
        ran on this host, still exists."""
        info = await self.get(agent_id)
        return (
            info is not None
            and info.heartbeat_at >= self._cutoff()
            and not process_gone(info.host, info.pid)
        )

    async def find(self, capability: str | None = None) -> list[AgentInfo]:
        """Fresh agents with `capability` (all fresh agents when None), least loaded first."""
        async with self.db.session() as s:
            rows = (
                await s.scalars(select(AgentRow).where(AgentRow.heartbeat_at >= self._cutoff()))
            ).all()
        # An agent of a process on this host that is gone (killed, crashed) bids for nothing:
        # waiting out its heartbeat would cost a resume a bid window per task.
        found = [_info(r) for r in rows if not process_gone(r.host, r.pid)]
        if capability is not None:
            found = [a for a in found if capability in a.capabilities]
        return sorted(found, key=lambda a: (a.load, a.id))

    async def expire(self) -> list[str]:
        """Delete agents whose heartbeat is stale; returns their ids."""
        cutoff = self._cutoff()
        async with self.db.session() as s:
            ids = list(
                (await s.scalars(select(AgentRow.id).where(AgentRow.heartbeat_at < cutoff))).all()
            )
            if ids:
                await s.execute(delete(AgentRow).where(AgentRow.id.in_(ids)))
        return ids


def process_gone(host: str, pid: int) -> bool:
    """Whether process `pid` ran on this host and no longer exists (or is a zombie). A
    process on another host cannot be seen from here: not gone."""
    if host != socket.gethostname() or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    # Killed but not yet reaped by its parent: a zombie does no more work.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]
