"""The allow-list a project's URLs must pass."""

from __future__ import annotations

import pytest

from qaforge.serve.projects import host_allowed

LOOPBACK = ["127.0.0.1", "localhost", "::1"]


@pytest.mark.parametrize(
    ("url", "hosts", "allowed"),
    [
        ("http://127.0.0.1:8000/", LOOPBACK, True),
        ("http://localhost/app", LOOPBACK, True),
        ("http://[::1]:9/", LOOPBACK, True),
        ("http://LOCALHOST./", LOOPBACK, True),
        ("http://127.0.0.2/", LOOPBACK, False),
        ("http://10.0.0.5/", LOOPBACK, False),
        ("http://169.254.169.254/latest/meta-data", LOOPBACK, False),
        ("http://localhost.evil.test/", LOOPBACK, False),
        ("ftp://127.0.0.1/", LOOPBACK, False),
        ("file:///etc/passwd", LOOPBACK, False),
        ("http://u:p@127.0.0.1/", LOOPBACK, False),
        ("http://10.2.3.4/", ["10.0.0.0/8"], True),
        ("http://11.2.3.4/", ["10.0.0.0/8"], False),
        ("https://a.staging.test/", ["*.staging.test"], True),
        ("https://staging.test/", ["*.staging.test"], False),
        ("https://a.staging.test.evil/", ["*.staging.test"], False),
        ("http://10.0.0.1/", ["*.0.0.1"], False),  # a pattern of names never matches an address
        ("http://app/", [], False),
    ],
)
def test_host_allowed(url: str, hosts: list[str], allowed: bool) -> None:
    assert host_allowed(url, hosts) is allowed
