"""Keys, passwords and roles."""

from __future__ import annotations

from qaforge.serve.security import (
    GRANTS,
    Passwords,
    Permission,
    Role,
    allows,
    hash_key_secret,
    key_matches,
    new_key,
    split_key,
)


def test_a_key_is_its_id_and_a_secret_and_only_the_secrets_hash_is_kept() -> None:
    k = new_key()
    parts = split_key(k.token)
    assert parts is not None and parts[0] == k.id
    assert parts[1] not in k.secret_hash and k.token not in k.secret_hash
    assert key_matches(parts[1], k.secret_hash)
    assert not key_matches(parts[1] + "x", k.secret_hash)
    assert new_key().token != k.token


def test_what_is_not_a_key_is_refused_before_any_lookup() -> None:
    for token in ("", "qf_", "qf_short_x", "Bearer qf_0123456789ab_x", "ghp_0123456789ab_x"):
        assert split_key(token) is None
    assert split_key("qf_0123456789ab_secret") == ("0123456789ab", "secret")
    assert hash_key_secret("a") != hash_key_secret("b")


def test_passwords_are_argon2id_and_checked() -> None:
    pw = Passwords.default()
    stored = pw.hash("correct horse 42")
    assert stored.startswith("$argon2id$") and "correct" not in stored
    assert pw.verify(stored, "correct horse 42")
    assert not pw.verify(stored, "correct horse 43")
    assert not pw.verify("not a hash", "x")


def test_roles_nest_as_the_issue_says() -> None:
    assert GRANTS[Role.ADMIN] == frozenset(Permission)
    assert GRANTS[Role.VIEWER] < GRANTS[Role.MAINTAINER] < GRANTS[Role.ADMIN]
    assert not any(p.value.endswith(":write") for p in GRANTS[Role.VIEWER])
    assert allows(Role.AGENT, Permission.METRICS_READ)
    assert not allows(Role.AGENT, Permission.PROJECTS_READ)
    assert not allows(Role.MAINTAINER, Permission.ACCOUNTS_ADMIN)
