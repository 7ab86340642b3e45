"""What the API takes and returns (OpenAPI is generated from these)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from qaforge.serve.security import Role

# A credential is a reference the server resolves when a run starts: an environment variable
# of the server, or a file on it (a mounted secret). Never a value.
SECRET_REF = r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:/[^\x00]+)$"

T = TypeVar("T")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectIn(_In):
    """An app under test."""

    name: str = Field(min_length=1, max_length=100)
    base_url: HttpUrl
    include: list[str] = Field(default_factory=list, max_length=50)
    exclude: list[str] = Field(default_factory=list, max_length=50)
    login_url: HttpUrl | None = None
    username_ref: str | None = Field(default=None, pattern=SECRET_REF)
    password_ref: str | None = Field(default=None, pattern=SECRET_REF)
    max_states: int = Field(default=40, ge=1, le=2000)
    time_budget_s: float = Field(default=120.0, gt=0, le=3600)
    max_tests: int | None = Field(default=None, ge=1, le=2000)
    # GitHub: deliveries from this repository start runs (their signatures checked with the
    # secret), and the results go back as commit statuses and pull-request comments.
    github_repo: str | None = Field(default=None, pattern=r"^[\w.-]+/[\w.-]+$")
    github_secret_ref: str | None = Field(default=None, pattern=SECRET_REF)
    github_token_ref: str | None = Field(default=None, pattern=SECRET_REF)
    github_api_url: HttpUrl | None = None

    @field_validator("include", "exclude")
    @classmethod
    def _short(cls, v: list[str]) -> list[str]:
        if any(len(p) > 500 for p in v):
            raise ValueError("a pattern is at most 500 characters")
        return v


class ProjectOut(BaseModel):
    id: int
    name: str
    base_url: str
    include: list[str]
    exclude: list[str]
    login_url: str | None
    # Whether the project logs in; the references themselves stay on the server.
    has_login: bool
    max_states: int
    time_budget_s: float
    max_tests: int | None
    github_repo: str | None = None
    created_at: datetime


class RunIn(_In):
    """Start a run of a project; unset fields take the project's."""

    project_id: int
    # Another deployment of the project's app (a preview): on the allow-list too.
    base_url: HttpUrl | None = None
    max_tests: int | None = Field(default=None, ge=1, le=2000)
    time_budget_s: float | None = Field(default=None, gt=0, le=3600)
    strategy: str = Field(default="auto", max_length=64)
    no_learning: bool = False


class RunOut(BaseModel):
    id: str
    project_id: int
    state: str
    stage: str | None
    attempt: int
    exit_code: int | None
    error: str | None
    started_by: str
    created_at: datetime
    updated_at: datetime
    # Headline figures once the run has a summary.
    figures: dict[str, Any] | None = None
    artifacts: list[str] = Field(default_factory=list)


class TestOut(BaseModel):
    """One test of a run, as it ended; its screenshot and trace are served by index."""

    __test__ = False  # not a pytest class

    index: int
    test_id: str
    outcome: str
    failure_class: str | None = None
    message: str = ""
    screenshot: bool = False
    trace: bool = False
    healed: bool = False


class FindingOut(BaseModel):
    kind: str
    where: str
    detail: str


class RunTestsOut(BaseModel):
    """A run's tests (failed ones first) and its findings."""

    tests: list[TestOut]
    findings: list[FindingOut]


class Page(BaseModel, Generic[T]):
    """One page of a list: `next_offset` is None on the last one."""

    items: list[T]
    total: int
    offset: int
    limit: int
    next_offset: int | None


class FeedbackIn(_In):
    """A rating of a run, or of one of its tests."""

    rating: int = Field(ge=1, le=5)
    coverage: int | None = Field(default=None, ge=1, le=5)
    quality: int | None = Field(default=None, ge=1, le=5)
    relevance: int | None = Field(default=None, ge=1, le=5)
    comment: str | None = Field(default=None, max_length=4000)
    test_id: str | None = Field(default=None, max_length=300)


class FeedbackOut(BaseModel):
    id: int
    run_id: str
    test_id: str | None


class KeyIn(_In):
    role: Role
    name: str = Field(default="", max_length=100)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class KeyOut(BaseModel):
    id: str
    name: str
    role: str
    tenant: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class KeyCreated(KeyOut):
    """The token is in this answer only: it is never stored or shown again."""

    token: str


class AllowHostsIn(_In):
    hosts: list[str] = Field(max_length=200)


class TenantOut(BaseModel):
    id: int
    name: str
    allow_hosts: list[str]


class WhoAmI(BaseModel):
    kind: str
    name: str
    tenant: str
    role: str
