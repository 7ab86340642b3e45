"""Roles and what each may do; API keys and passwords, and how they are hashed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Role(StrEnum):
    """The four roles (issue 16)."""

    ADMIN = "admin"
    MAINTAINER = "maintainer"
    VIEWER = "viewer"
    AGENT = "agent"


class Permission(StrEnum):
    """One thing an endpoint needs; every API route names exactly one."""

    PROJECTS_READ = "projects:read"
    PROJECTS_WRITE = "projects:write"
    RUNS_READ = "runs:read"
    RUNS_WRITE = "runs:write"
    ARTIFACTS_READ = "artifacts:read"
    FEEDBACK_WRITE = "feedback:write"
    LEARNING_READ = "learning:read"
    ACCOUNTS_ADMIN = "accounts:admin"
    METRICS_READ = "metrics:read"


_READ = {
    Permission.PROJECTS_READ,
    Permission.RUNS_READ,
    Permission.ARTIFACTS_READ,
    Permission.LEARNING_READ,
}

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MAINTAINER: frozenset(
        _READ | {Permission.PROJECTS_WRITE, Permission.RUNS_WRITE, Permission.FEEDBACK_WRITE}
    ),
    Role.VIEWER: frozenset(_READ),
    # A worker or a scraper: it reads runs and their files, and the metrics.
    Role.AGENT: frozenset(
        {Permission.RUNS_READ, Permission.ARTIFACTS_READ, Permission.METRICS_READ}
    ),
}


def allows(role: Role, permission: Permission) -> bool:
    """Whether `role` has `permission`."""
    return permission in GRANTS[role]


@dataclass(frozen=True)
class Principal:
    """Who makes a request: a key or a user, of one tenant, with one role."""

    kind: str  # "key" or "user"
    id: str
    name: str
    tenant_id: int
    tenant: str
    role: Role

    @property
    def actor(self) -> str:
        """How the audit log names it."""
        return f"{self.kind}:{self.name or self.id}@{self.tenant}"


KEY_PREFIX = "qf_"


@dataclass(frozen=True)
class NewKey:
    """A key as created: `token` is shown once and never stored."""

    id: str
    token: str
    secret_hash: str


def new_key() -> NewKey:
    """A fresh key `qf_<id>_<secret>`: the id finds the row, the secret's hash checks it."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return NewKey(key_id, f"{KEY_PREFIX}{key_id}_{secret}", hash_key_secret(secret))


def split_key(token: str) -> tuple[str, str] | None:
    """(id, secret) of a key token, or None when it is not one."""
    if not token.startswith(KEY_PREFIX):
        return None
    key_id, sep, secret = token[len(KEY_PREFIX) :].partition("_")
    if not sep or len(key_id) != 12 or not secret:
        return None
    return key_id, secret


def hash_key_secret(secret: str) -> str:
    """A key's stored hash. A key's secret is 256 random bits, so a fast hash is as safe as a
    slow one for it, and a request is not charged an Argon2 round (passwords are)."""
    return "sha256$" + hashlib.sha256(secret.encode()).hexdigest()


def key_matches(secret: str, stored: str) -> bool:
    """Whether `secret` is the one `stored` hashes (constant time)."""
    return hmac.compare_digest(hash_key_secret(secret), stored)


@dataclass(frozen=True)
class Passwords:
    """Argon2id for user passwords; parameters are the library's (RFC 9106's second choice)."""

    hasher: PasswordHasher
    # Checked against when the user does not exist: that answer takes as long as a wrong
    # password's, so timing does not tell which names exist.
    dummy: str

    @classmethod
    def default(cls) -> Passwords:
        hasher = PasswordHasher()
        return cls(hasher, hasher.hash("not the password of anybody"))

    def hash(self, password: str) -> str:
        """The stored form of `password`."""
        return self.hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        """Whether `password` is the one `stored` hashes."""
        try:
            return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
