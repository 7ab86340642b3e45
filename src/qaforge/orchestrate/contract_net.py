"""Contract Net: announce a task to the agents that could take it, collect bids within a
deadline, award it to the best bid, and tell the others."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from qaforge.agents.registry import AgentInfo
from qaforge.bus.messages import Message, MessageType
from qaforge.bus.rpc import RpcClient
from qaforge.contracts.envelope import Task, new_id


class NoBidError(Exception):
    """Nobody bid for the task within the deadline."""

    def __init__(self, message: str, refused: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.refused = refused


@dataclass(frozen=True)
class Bid:
    """An agent's offer: how sure it is, how long it expects, how busy it is."""

    agent_id: str
    inbox: str
    confidence: float
    est_s: float
    load: float

    @property
    def score(self) -> float:
        """Higher is better: confident, idle and quick."""
        return self.confidence / ((1.0 + self.load) * (1.0 + max(0.0, self.est_s) / 60.0))

    @classmethod
    def of(cls, payload: dict[str, Any]) -> Bid:
        """From a bid message's payload."""
        return cls(
            str(payload["agent_id"]),
            str(payload["inbox"]),
            float(payload["confidence"]),
            float(payload["est_s"]),
            float(payload["load"]),
        )


@dataclass(frozen=True)
class Award:
    """Who won, and every bid seen."""

    winner: Bid
    bids: tuple[Bid, ...]
    refused: tuple[str, ...]


async def allocate(
    rpc: RpcClient, task: Task, candidates: list[AgentInfo], window_s: float = 2.0
) -> Award:
    """Run one round of Contract Net for `task` among `candidates`."""
    conversation = new_id("cnp-")
    replies = rpc.conversation(conversation)
    task_json = task.model_dump(mode="json")
    try:
        for c in candidates:
            await rpc.send(
                c.inbox,
                Message(
                    conversation_id=conversation,
                    sender=rpc.name,
                    receiver=c.id,
                    type=MessageType.EVENT,
                    ttl_s=window_s,
                    payload={"kind": "cfp", "task": task_json},
                ),
            )
        bids: list[Bid] = []
        refused: list[str] = []
        deadline = time.monotonic() + window_s
        while len(bids) + len(refused) < len(candidates):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                msg = await asyncio.wait_for(replies.get(), timeout=left)
            except TimeoutError:
                break
            if msg.payload.get("kind") == "bid":
                bids.append(Bid.of(msg.payload))
            else:
                refused.append(msg.sender)
    finally:
        rpc.end_conversation(conversation)
    if not bids:
        asked = ", ".join(sorted(c.id for c in candidates))
        why = f"{len(refused)} refused" if refused else "no answer"
        raise NoBidError(
            f"no agent bid for task {task.id} ({task.type}) within {window_s:.1f}s "
            f"({why}; asked {asked})",
            tuple(refused),
        )
    winner = max(bids, key=lambda b: (b.score, b.agent_id))
    for b in bids:
        if b.agent_id != winner.agent_id:
            await rpc.send(
                b.inbox,
                Message(
                    conversation_id=conversation,
                    sender=rpc.name,
                    receiver=b.agent_id,
                    type=MessageType.EVENT,
                    ttl_s=60,
                    payload={"kind": "reject", "task_id": task.id, "winner": winner.agent_id},
                ),
            )
    return Award(winner, tuple(bids), tuple(refused))
