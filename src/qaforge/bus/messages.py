"""The message schema every bus backend carries: one envelope, five kinds, versioned.

Payloads are plain JSON. Credentials never ride in a message: a payload key that names a
secret (`password`, `token`, ...) must hold a reference such as `env:QAFORGE_PASSWORD`.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, model_validator

SCHEMA_VERSION = 1

# Key names that would hold a secret value; `*_ref` keys hold references and are fine.
_SECRET_KEY = re.compile(r"(^|_)(password|passwd|secret|token|api_key|apikey|credentials?)$", re.I)
_REF = re.compile(r"^(env|file|vault):\S+$")


class SecretLeakError(ValueError):
    """A payload carried what looks like a credential value instead of a reference."""


def check_no_secrets(value: Any, path: str = "payload") -> None:
    """Raise `SecretLeakError` when a secret-named key holds a literal (architecture.md §6)."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if (
                isinstance(key, str)
                and _SECRET_KEY.search(key)
                and isinstance(item, str)
                and item
                and not _REF.match(item)
            ):
                raise SecretLeakError(
                    f"{where} holds a literal credential; pass a reference like env:NAME"
                )
            check_no_secrets(item, where)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_no_secrets(item, f"{path}[{i}]")


# The payload `kind` of an EVENT message that carries a run event (contracts/events.py) from
# an agent to the requester of its task; other EVENT kinds are Contract Net's (cfp, bid, ...).
RUN_EVENT = "run-event"


class MessageType(StrEnum):
    TASK_REQUEST = "task_request"
    TASK_RESPONSE = "task_response"
    EVENT = "event"
    HEARTBEAT = "heartbeat"
    ERROR = "error"


class Trace(BaseModel):
    """Where a message comes from: its trace, its parent and how often it was retried."""

    trace_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    parent_id: str | None = None
    retry_count: int = 0


def _now() -> datetime:
    return datetime.now(UTC)


class Message(BaseModel):
    """The bus envelope."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    conversation_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    schema_version: int = SCHEMA_VERSION
    created_at: datetime = Field(default_factory=_now)
    sender: str
    receiver: str
    type: MessageType
    priority: int = Field(default=5, ge=0, le=9)  # 0 most urgent
    ttl_s: float | None = Field(default=None, gt=0)
    reply_to: str | None = None  # the topic a response goes to
    payload: dict[str, Any] = Field(default_factory=dict)
    trace: Trace = Field(default_factory=Trace)

    @model_validator(mode="after")
    def _no_credentials(self) -> Message:
        check_no_secrets(self.payload)
        return self

    @property
    def expires_at(self) -> datetime | None:
        """When the message stops being worth delivering (None: never)."""
        return None if self.ttl_s is None else self.created_at + timedelta(seconds=self.ttl_s)

    def expired(self, now: datetime | None = None) -> bool:
        """Whether the TTL has passed."""
        exp = self.expires_at
        return exp is not None and (now or _now()) >= exp

    def reply(
        self,
        type: MessageType,
        payload: dict[str, Any],
        sender: str,
    ) -> Message:
        """A message answering this one, in the same conversation and trace."""
        return Message(
            conversation_id=self.conversation_id,
            sender=sender,
            receiver=self.sender,
            type=type,
            priority=self.priority,
            payload=payload,
            trace=Trace(trace_id=self.trace.trace_id, parent_id=self.id),
        )

    def encode(self) -> str:
        """JSON text for the wire."""
        return self.model_dump_json()

    @classmethod
    def decode(cls, data: str | bytes) -> Message:
        """Parse wire JSON (raises pydantic.ValidationError on a malformed message)."""
        return cls.model_validate_json(data)
