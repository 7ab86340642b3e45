"""Sending a task to an agent type over the bus and awaiting its result.

One fresh candidate: the task goes to the type's work queue (any agent of the type takes it,
and a dead agent's task is reclaimed by another). Several: Contract Net picks one and the task
goes to its inbox; if that agent dies meanwhile, the task is announced again. A stored result
of the same task id is reused, so a resumed run does not redo finished work.
"""

from __future__ import annotations

import asyncio
import logging
import time

from qaforge.agents.registry import AgentInfo, AgentRegistry
from qaforge.agents.service import ResultStore
from qaforge.bus.messages import Message, MessageType
from qaforge.bus.rpc import RpcClient
from qaforge.bus.topics import type_topic
from qaforge.contracts.envelope import Task, TaskResult
from qaforge.orchestrate.contract_net import NoBidError, allocate

log = logging.getLogger(__name__)


class DispatchError(Exception):
    """No agent can take the task, or it was dead-lettered."""


class Dispatcher:
    """Routes tasks to agents and waits for their results."""

    def __init__(
        self,
        rpc: RpcClient,
        registry: AgentRegistry,
        results: ResultStore | None = None,
        *,
        contract_net: bool = True,
        bid_window_s: float = 2.0,
        agent_wait_s: float = 15.0,
        check_s: float = 2.0,
    ) -> None:
        self.rpc = rpc
        self.registry = registry
        self.results = results
        self.contract_net = contract_net
        self.bid_window_s = bid_window_s
        self.agent_wait_s = agent_wait_s
        self.check_s = check_s

    async def _candidates(self, task: Task, agent_type: str) -> list[AgentInfo]:
        # Workers may still be starting: wait a little before saying nobody is there.
        deadline = time.monotonic() + self.agent_wait_s
        while True:
            found = await self.registry.find(task.type)
            if found or time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.2)
        if not found:
            raise DispatchError(
                f"no live agent can take {task.type!r} tasks: start one with "
                f"`qaforge worker --agent {agent_type}`"
            )
        return found

    async def call(self, task: Task, agent_type: str) -> TaskResult:
        """The result of `task`, from the store when it was finished before."""
        if self.results is not None:
            stored = await self.results.get(task.id)
            if stored is not None and stored.ok:
                return stored
        excluded: set[str] = set()
        while True:
            candidates = [
                c for c in await self._candidates(task, agent_type) if c.id not in excluded
            ]
            watch: str | None = None
            topic = type_topic(agent_type)
            if self.contract_net and len(candidates) >= 2:
                try:
                    award = await allocate(self.rpc, task, candidates, self.bid_window_s)
                    topic, watch = award.winner.inbox, award.winner.agent_id
                except NoBidError as exc:
                    if exc.refused:
                        raise
                    # Live agents too busy to answer a call for proposals in time can still
                    # take the task from their type's queue; silence is not a refusal.
                    log.info("%s; sending task %s to the %s queue", exc, task.id, agent_type)
            request = Message(
                conversation_id=task.run_id or task.id,
                sender=self.rpc.name,
                receiver=watch or agent_type,
                type=MessageType.TASK_REQUEST,
                priority=max(0, min(9, task.priority)),
                payload={"task": task.model_dump(mode="json")},
            )
            fut = self.rpc.expect(request)
            await self.rpc.send(topic, request)
            reply = await self._await(fut, watch, task, agent_type)
            if reply is None:  # the awarded agent died: announce again without it
                assert watch is not None
                log.warning("agent %s died holding task %s; re-announcing", watch, task.id)
                excluded.add(watch)
                continue
            return self._result(task, reply)

    async def _await(
        self, fut: asyncio.Future[Message], watch: str | None, task: Task, agent_type: str
    ) -> Message | None:
        """The reply; None when the awarded agent `watch` died. A task on the type's queue is
        waited for as long as some agent of the type lives (one of them holds it, or reclaims
        it from a dead one); with none left for `agent_wait_s` plus the registry's staleness
        period, nobody ever will answer."""
        orphaned_since: float | None = None
        try:
            while True:
                done, _ = await asyncio.wait({fut}, timeout=self.check_s)
                if done:
                    return fut.result()
                if watch is not None:
                    if not await self.registry.alive(watch):
                        return None
                    continue
                if await self.registry.find(task.type):
                    orphaned_since = None
                    continue
                orphaned_since = orphaned_since or time.monotonic()
                # A busy worker's heartbeat may lag: give it a whole staleness period more.
                grace = self.agent_wait_s + self.registry.stale_after_s
                if time.monotonic() - orphaned_since >= grace:
                    raise DispatchError(
                        f"no live agent is left to finish task {task.id} ({task.type!r}); it "
                        f"waits on the queue: start one with `qaforge worker --agent "
                        f"{agent_type}` and resume the run"
                    )
        finally:
            if not fut.done():
                fut.cancel()

    @staticmethod
    def _result(task: Task, reply: Message) -> TaskResult:
        if reply.type is MessageType.ERROR:
            reason = str(reply.payload.get("error", "unknown error"))
            return TaskResult(task_id=task.id, agent=reply.sender, ok=False, error=reason)
        return TaskResult.model_validate(reply.payload["result"])
