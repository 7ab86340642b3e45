"""Which endpoint and models to use, from `Settings`; the key stays a secret throughout."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import SecretStr

from qaforge.config import Settings
from qaforge.errors import UserError, mask_url


class LLMNotConfigured(UserError):
    """An option needs a language model and none is configured."""


class Tier(StrEnum):
    """Which model a prompt asks for: the strong one plans, the small one does small jobs."""

    SMALL = "small"
    STRONG = "strong"


@dataclass(frozen=True)
class LLMEndpoint:
    """An OpenAI-compatible endpoint (`base_url` ends in `/v1`) and the models to use."""

    url: str
    model: str
    small_model: str
    timeout_s: float = 60.0
    max_retries: int = 3
    api_key: SecretStr | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMEndpoint | None:
        """The configured endpoint, or None when `QAFORGE_LLM_URL` is not set."""
        if not settings.llm_url:
            return None
        return cls(
            url=settings.llm_url.rstrip("/"),
            model=settings.llm_model,
            small_model=settings.llm_model_small or settings.llm_model,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
            api_key=settings.llm_api_key,
        )

    @classmethod
    def required(cls, settings: Settings, what: str) -> LLMEndpoint:
        """The configured endpoint; `LLMNotConfigured` naming `what` needs it otherwise."""
        endpoint = cls.from_settings(settings)
        if endpoint is None:
            raise LLMNotConfigured(
                f"{what} needs a language model: set QAFORGE_LLM_URL to an OpenAI-compatible "
                "endpoint (and QAFORGE_LLM_MODEL, QAFORGE_LLM_API_KEY if it asks for a key); "
                "`qaforge llm check` tests it"
            )
        return endpoint

    def model_for(self, tier: Tier) -> str:
        """The model name a prompt of `tier` is sent to."""
        return self.model if tier is Tier.STRONG else self.small_model

    @property
    def shown(self) -> str:
        """The URL as it may be printed (a password in it masked)."""
        return mask_url(self.url)
