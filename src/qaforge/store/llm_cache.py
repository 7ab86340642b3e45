"""The language model's answers kept in the database (`llm_cache`): a second run asking the
same question with the same prompt version pays no tokens."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from qaforge.store.database import Database
from qaforge.store.tables import LLMCacheRow


class LLMCache:
    """`ResponseCache` (llm/client.py) on the working-memory database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: str) -> str | None:
        """The kept answer for `key`, counting the hit."""
        async with self.db.session() as s:
            row = await s.get(LLMCacheRow, key)
            if row is None:
                return None
            await s.execute(
                update(LLMCacheRow).where(LLMCacheRow.key == key).values(hits=LLMCacheRow.hits + 1)
            )
            return row.answer

    async def put(self, key: str, model: str, variant: str, answer: str, tokens: int) -> None:
        """Keep an answer; the first one kept for a key stays."""
        try:
            async with self.db.session() as s:
                s.add(
                    LLMCacheRow(
                        key=key, model=model, variant=variant, answer=answer, tokens=tokens, hits=0
                    )
                )
        except IntegrityError:  # asked twice at once: the other answer is as good
            pass
