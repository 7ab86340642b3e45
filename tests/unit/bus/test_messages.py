"""The message envelope: fields, round trip, TTL, and no credentials."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from qaforge.bus.messages import SCHEMA_VERSION, Message, MessageType, SecretLeakError


def test_round_trip_keeps_every_field() -> None:
    m = Message(
        sender="orch",
        receiver="observation",
        type=MessageType.TASK_REQUEST,
        priority=2,
        ttl_s=30,
        payload={"task": {"id": "t1"}},
    )
    back = Message.decode(m.encode())
    assert back == m
    assert back.schema_version == SCHEMA_VERSION
    assert back.trace.retry_count == 0 and back.trace.parent_id is None


def test_reply_stays_in_conversation_and_trace() -> None:
    m = Message(sender="a", receiver="b", type=MessageType.TASK_REQUEST)
    r = m.reply(MessageType.TASK_RESPONSE, {"ok": True}, sender="b")
    assert r.conversation_id == m.conversation_id
    assert r.trace.trace_id == m.trace.trace_id
    assert r.trace.parent_id == m.id
    assert r.receiver == "a"


def test_ttl_expiry() -> None:
    m = Message(sender="a", receiver="b", type=MessageType.EVENT, ttl_s=5)
    assert not m.expired()
    assert m.expired(datetime.now(UTC) + timedelta(seconds=6))
    assert not Message(sender="a", receiver="b", type=MessageType.EVENT).expired(
        datetime.now(UTC) + timedelta(days=999)
    )


def test_unknown_type_and_bad_priority_are_refused() -> None:
    with pytest.raises(ValidationError):
        Message.model_validate({"sender": "a", "receiver": "b", "type": "gossip"})
    with pytest.raises(ValidationError):
        Message(sender="a", receiver="b", type=MessageType.EVENT, priority=42)


@pytest.mark.parametrize(
    "payload",
    [
        {"password": "hunter2"},
        {"target": {"auth": {"api_token": "abc"}}},
        {"items": [{"secret": "s"}]},
    ],
)
def test_literal_credentials_are_refused(payload: dict[str, object]) -> None:
    with pytest.raises((SecretLeakError, ValidationError), match="reference"):
        Message(sender="a", receiver="b", type=MessageType.TASK_REQUEST, payload=payload)


def test_credential_references_pass() -> None:
    m = Message(
        sender="a",
        receiver="b",
        type=MessageType.TASK_REQUEST,
        payload={"auth": {"password_ref": "env:QAFORGE_PASSWORD", "password": "env:QAFORGE_PASSWORD"}},
    )
    assert m.payload["auth"]["password"] == "env:QAFORGE_PASSWORD"
