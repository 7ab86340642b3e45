"""Settings: `QAFORGE_*` environment variables, then an optional `qaforge.toml`, then defaults.

This is the one place that says where the browser, the data directory and each storage layer
are. Everything below the CLI receives a `Settings` instance; nothing reads the environment
deep inside.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from qaforge.errors import UserError

# Flags Chromium needs as root on a closed network (no sandbox user namespace, no GPU, no
# calls home that would fail and slow every start).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-first-run",
]

_DEBIAN_CHROMIUM = Path("/usr/bin/chromium")

# Settings that may come from the environment only: a file is shared, committed, copied.
_ENV_ONLY = ("llm_api_key",)


class _TomlWithoutSecrets(TomlConfigSettingsSource):
    """`qaforge.toml`, refused when it holds what belongs in the environment only."""

    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        for key in _ENV_ONLY:
            if key in data:
                raise ConfigError(
                    f"{key} is read from the environment only (QAFORGE_{key.upper()}), never "
                    "from a file: remove it from the configuration file"
                )
        return data


class ConfigError(UserError):
    """A setting is malformed or a required resource is missing."""


class Settings(BaseSettings):
    """All of qaforge's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="QAFORGE_",
        toml_file="qaforge.toml",
        extra="ignore",
        validate_default=True,
    )

    home: Path = Field(default_factory=lambda: Path.home() / ".qaforge")
    chromium: str | None = None
    headless: bool = True
    database_url: str | None = None
    bus_url: str = "memory://"
    vector_url: str | None = None
    checkpoint_url: str | None = None
    # An OpenAI-compatible endpoint (`.../v1`); unset, nothing uses a language model.
    llm_url: str | None = None
    # The strong model plans (goals, stories); the small one does the small jobs (form data,
    # triage). Both are names the endpoint lists.
    llm_model: str = "gpt-4o-mini"
    llm_model_small: str | None = None
    llm_timeout_s: float = Field(default=60.0, gt=0)
    llm_max_retries: int = Field(default=3, ge=0, le=10)
    # From QAFORGE_LLM_API_KEY only: never dumped, logged, stored or checkpointed.
    llm_api_key: SecretStr | None = Field(default=None, exclude=True, repr=False)
    # A folder of prompt files that override the built-in ones by name.
    prompts_dir: Path | None = None
    disable_learning: bool = False
    # The learning loop's knobs (`[learning]` in qaforge.toml; see learn/config.py).
    learning: dict[str, Any] = Field(default_factory=dict)
    browser_contexts: int = Field(default=2, ge=1, le=16)
    test_workers: int = Field(default=2, ge=1, le=16)
    action_delay_ms: int = Field(default=0, ge=0)
    page_timeout_ms: int = Field(default=15_000, ge=1000)
    # The share of read-only tests the passes after the first re-run (see execute/recheck.py);
    # 1.0 re-runs the whole suite every pass.
    recheck_sample: float = Field(default=0.34, ge=0.0, le=1.0)
    # True: the suite's pytest loads every plugin installed (a suite edited to use one more);
    # by default it loads only the ones a generated suite needs, which starts in a second.
    pytest_autoload: bool = False

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlWithoutSecrets(settings_cls))

    @field_validator("home", mode="before")
    @classmethod
    def _expand_home(cls, v: Any) -> Any:
        return Path(v).expanduser() if isinstance(v, str | Path) else v

    @model_validator(mode="after")
    def _defaults_under_home(self) -> Settings:
        if self.database_url is None:
            self.database_url = f"sqlite:///{self.home / 'qaforge.db'}"
        if self.vector_url is None:
            self.vector_url = f"path:{self.home / 'vectors'}"
        return self

    @property
    def learning_enabled(self) -> bool:
        return not self.disable_learning

    def chromium_path(self) -> str | None:
        """The Chromium to use: `QAFORGE_CHROMIUM`, Debian's, else None (Playwright's own)."""
        if self.chromium:
            path = shutil.which(self.chromium) or self.chromium
            if not Path(path).exists():
                raise ConfigError(f"QAFORGE_CHROMIUM={self.chromium!r} does not exist")
            return path
        if _DEBIAN_CHROMIUM.exists():
            return str(_DEBIAN_CHROMIUM)
        return None

    def has_browser(self) -> bool:
        """Whether a Chromium can be launched here (ours, Debian's or Playwright's own)."""
        try:
            if self.chromium_path() is not None:
                return True
        except ConfigError:
            return False
        cache = os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or str(
            Path.home() / ".cache" / "ms-playwright"
        )
        return any(Path(cache).glob("chromium*"))

    def launch_options(self) -> dict[str, Any]:
        """Keyword arguments for Playwright's `chromium.launch`."""
        opts: dict[str, Any] = {"headless": self.headless, "args": list(CHROMIUM_ARGS)}
        path = self.chromium_path()
        if path:
            opts["executable_path"] = path
        return opts


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings, reading `config_file` (TOML) instead of `./qaforge.toml` when given."""
    # The bare DISABLE_LEARNING is honoured too (architecture.md §6).
    if "disable_learning" not in overrides and os.environ.get("DISABLE_LEARNING", "").lower() in {
        "1",
        "true",
        "yes",
    }:
        overrides["disable_learning"] = True
    try:
        if config_file is not None:
            if not config_file.exists():
                raise ConfigError(f"config file {config_file} does not exist")

            class _FileSettings(Settings):
                model_config = SettingsConfigDict(toml_file=str(config_file))

            return _FileSettings(**overrides)
        return Settings(**overrides)
    except ConfigError:
        raise
    except Exception as exc:  # pydantic ValidationError, TOML decode errors
        raise ConfigError(f"invalid configuration: {exc}") from exc
