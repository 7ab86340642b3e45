"""A language model where it helps: a client for any OpenAI-compatible endpoint, prompts kept
as files, and answers that are data validated against a schema (never code).

Nothing here runs unless `QAFORGE_LLM_URL` is set; every feature works without it."""
