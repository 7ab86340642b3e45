"""Topic names: a work queue per agent type, an inbox per agent, a reply inbox per client."""

from __future__ import annotations


def type_topic(agent_type: str) -> str:
    """Tasks any agent of `agent_type` may take (consumer group = the type)."""
    return f"agent.{agent_type}"


def inbox_topic(agent_id: str) -> str:
    """Messages for one agent: Contract Net calls for proposals, awarded tasks, rejections."""
    return f"inbox.{agent_id}"


def reply_topic(client: str) -> str:
    """Where responses to `client`'s requests arrive."""
    return f"reply.{client}"


INBOX_GROUP = "inbox"
REPLY_GROUP = "rpc"
