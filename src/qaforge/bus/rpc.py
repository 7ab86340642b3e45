"""Request/response over the bus: a private reply topic, responses matched by parent id."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from qaforge.bus.base import MessageBus, stop_loops
from qaforge.bus.messages import RUN_EVENT, Message, MessageType
from qaforge.bus.topics import REPLY_GROUP, reply_topic

log = logging.getLogger(__name__)


class RpcClient:
    """Send requests, await their responses; conversations collect several replies (bids)."""

    def __init__(self, bus: MessageBus, name: str) -> None:
        self.bus = bus
        self.name = name
        self.inbox = reply_topic(name)
        self._waiting: dict[str, asyncio.Future[Message]] = {}
        self._conversations: dict[str, asyncio.Queue[Message]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()
        # Who hears the run events agents send while they work on this client's tasks.
        self.on_event: Callable[[Message], None] | None = None

    async def start(self) -> None:
        """Start reading the reply topic."""
        await self.bus.ensure_group(self.inbox, REPLY_GROUP)
        self._reader = asyncio.create_task(self._read(), name=f"rpc-{self.name}")

    async def _read(self) -> None:
        while not self._closing.is_set():
            try:
                deliveries = await self.bus.receive(
                    self.inbox, REPLY_GROUP, self.name, count=100, block_s=0.5
                )
            except asyncio.CancelledError:
                raise
            except Exception:  # a dropped connection: keep trying, requests time out anyway
                log.exception("reading %s failed", self.inbox)
                await asyncio.sleep(0.5)
                continue
            for d in deliveries:
                if d.message is not None:
                    self._route(d.message)
                await self.bus.ack(d)

    def _route(self, msg: Message) -> None:
        if msg.type is MessageType.EVENT and msg.payload.get("kind") == RUN_EVENT:
            # Before the response it belongs to, and never mistaken for it.
            if self.on_event is not None:
                try:
                    self.on_event(msg)
                except Exception:
                    log.exception("a run event from %s was not handled", msg.sender)
            return
        parent = msg.trace.parent_id
        fut = self._waiting.get(parent or "")
        if fut is not None and not fut.done():
            fut.set_result(msg)
            return
        queue = self._conversations.get(msg.conversation_id)
        if queue is not None:
            queue.put_nowait(msg)
        # else: a late reply nobody waits for any more (e.g. a bid after the deadline)

    def expect(self, request: Message) -> asyncio.Future[Message]:
        """A future for the response to `request` (register before sending)."""
        fut: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._waiting[request.id] = fut
        fut.add_done_callback(lambda _f: self._waiting.pop(request.id, None))
        return fut

    async def send(self, topic: str, message: Message) -> None:
        """Publish with replies addressed to this client."""
        message.reply_to = self.inbox
        await self.bus.publish(topic, message)

    async def request(self, topic: str, message: Message, timeout_s: float | None) -> Message:
        """Send and wait for the response."""
        fut = self.expect(message)
        await self.send(topic, message)
        try:
            return await asyncio.wait_for(fut, timeout_s)
        finally:
            if not fut.done():
                fut.cancel()

    def conversation(self, conversation_id: str) -> asyncio.Queue[Message]:
        """Collect every reply in `conversation_id` (until `end_conversation`)."""
        q: asyncio.Queue[Message] = asyncio.Queue()
        self._conversations[conversation_id] = q
        return q

    def end_conversation(self, conversation_id: str) -> None:
        """Stop collecting."""
        self._conversations.pop(conversation_id, None)

    async def close(self) -> None:
        """Stop reading and drop the reply topic."""
        if self._reader is not None:
            # Let the read loop end on its own: cancelling a blocked XREADGROUP can leave
            # redis-py's connection (and this await) hanging.
            self._closing.set()
            await stop_loops([self._reader], grace_s=2.0)
            self._reader = None
        with contextlib.suppress(Exception):
            await self.bus.delete_topic(self.inbox)
