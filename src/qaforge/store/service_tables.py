"""Tables of `qaforge serve`: tenants, users, API keys, projects, and which project a run is of.

Secrets are never stored in clear: a password or a key is kept as its hash, and a project's
login holds references (`env:NAME`, `file:PATH`) the server resolves when a run starts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qaforge.store.base import Base, utcnow

_TS = DateTime(timezone=True)


class TenantRow(Base):
    """An organisation: it owns projects, and its keys and users see only those."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # Hosts (or `*.suffix` patterns) a project's base URL may name.
    allow_hosts: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)


class UserRow(Base):
    """A person who logs in to the dashboard."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)


class ApiKeyRow(Base):
    """An API key: its public id, and the hash of its secret part (shown once, at creation)."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(255))
    created_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(_TS, default=None)


class ProjectRow(Base):
    """An app under test: where it is, what of it to explore, how to log in (references)."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    base_url: Mapped[str] = mapped_column(Text)
    # include/exclude patterns, login URL and credential references, crawl limits.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)


class ProjectRunRow(Base):
    """Which project (and so which tenant) a run started over the API belongs to."""

    __tablename__ = "project_runs"

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(Integer, index=True)
    started_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)


class WebhookDeliveryRow(Base):
    """A webhook delivery already handled: the same id again is a replay, refused."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    source: Mapped[str] = mapped_column(String(32), default="github")
    event: Mapped[str] = mapped_column(String(64), default="")
    project_id: Mapped[int | None] = mapped_column(Integer, default=None)
    run_id: Mapped[str | None] = mapped_column(String(64), default=None)
    received_at: Mapped[datetime] = mapped_column(_TS, default=utcnow)
