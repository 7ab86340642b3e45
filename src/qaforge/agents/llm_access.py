"""How an agent reaches the language model: the configured endpoint, the agent's breaker for
it, the answer cache in the run's database and the run's token budget."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from qaforge.agents.base import AgentError, BaseAgent
from qaforge.contracts.answers import ANSWERS
from qaforge.llm.client import LLMClient
from qaforge.llm.endpoint import LLMEndpoint, LLMNotConfigured
from qaforge.llm.prompts import Prompt, PromptError, PromptLibrary
from qaforge.store.database import Database
from qaforge.store.llm_cache import LLMCache
from qaforge.store.migrate import ensure_schema


def prompt_for(agent: BaseAgent, name: str) -> Prompt:
    """The prompt `name` (a user's override first); `AgentError` when it is broken."""
    try:
        return PromptLibrary(ANSWERS, agent.settings.prompts_dir).get(name)
    except PromptError as exc:
        raise AgentError(str(exc)) from exc


@asynccontextmanager
async def llm_client(agent: BaseAgent, what: str, budget: int | None) -> AsyncIterator[LLMClient]:
    """A client for `what` (named in the error when no model is configured)."""
    try:
        endpoint = LLMEndpoint.required(agent.settings, what)
    except LLMNotConfigured as exc:
        raise AgentError(str(exc)) from exc
    url = str(agent.settings.database_url)
    await asyncio.to_thread(ensure_schema, url)
    db = Database(url)
    client = LLMClient(
        endpoint,
        agent.breaker(f"llm {endpoint.shown}"),
        cache=LLMCache(db),
        budget_tokens=budget,
    )
    try:
        yield client
    finally:
        await client.close()
        await db.dispose()
