"""The login's pure helpers: messages that never carry the password."""

from __future__ import annotations

import pytest

from qaforge.crawl.auth import Credentials, _quote, _redact, resolve_ref


def test_redact_removes_the_password_from_text_and_query_strings() -> None:
    msg = "login at http://app/login?user=a&pw=hunter22 failed: the page says hunter22 is wrong"
    out = _redact(msg, "hunter22")
    assert "hunter22" not in out and "user=a" in out and "pw=***" in out


def test_redact_keeps_short_passwords_out_of_query_strings_only() -> None:
    out = _redact("login at http://app/?p=ab failed: abc", "ab")
    assert "p=***" in out and out.endswith("failed: abc")


def test_redact_makes_one_line() -> None:
    assert _redact("a\n  b\tc", "") == "a b c"


def test_quote_truncates_long_error_text() -> None:
    assert _quote("x " * 200).endswith("…") and len(_quote("x " * 200)) <= 120
    assert _quote(" Wrong\n password ") == "Wrong password"


def test_credentials_repr_hides_the_password() -> None:
    assert "s3cret" not in repr(Credentials("u", "s3cret"))


def test_resolve_ref(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QF_TEST_PW", "v")
    assert resolve_ref("env:QF_TEST_PW") == "v" and resolve_ref("plain") == "plain"
    assert resolve_ref(None) is None
