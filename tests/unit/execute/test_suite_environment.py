"""Credentials given to `qaforge run` reach the suite's pytest through its environment only."""

from __future__ import annotations

from qaforge.execute.runner import suite_environment


def test_http_credentials_become_the_suites_one_pair_of_variables() -> None:
    env = suite_environment({"QAFORGE_HTTP_CREDENTIALS": "admin:s3:cret", "PATH": "/bin"})
    assert env["QAFORGE_USERNAME"] == "admin"
    assert env["QAFORGE_PASSWORD"] == "s3:cret"
    assert env["PATH"] == "/bin"


def test_an_explicit_pair_wins_and_nothing_is_invented() -> None:
    env = suite_environment(
        {
            "QAFORGE_HTTP_CREDENTIALS": "admin:x",
            "QAFORGE_USERNAME": "u",
            "QAFORGE_PASSWORD": "p",
        }
    )
    assert (env["QAFORGE_USERNAME"], env["QAFORGE_PASSWORD"]) == ("u", "p")
    assert "QAFORGE_USERNAME" not in suite_environment({"PATH": "/bin"})


def test_a_calling_pytest_workers_state_is_not_passed_to_the_suite() -> None:
    env = suite_environment(
        {
            "PYTEST_XDIST_WORKER": "gw1",
            "PYTEST_XDIST_TESTRUNUID": "abc",
            "PYTEST_CURRENT_TEST": "t.py::x (call)",
            "PYTEST_ADDOPTS": "-p no:cacheprovider",
            "PATH": "/bin",
        }
    )
    assert env == {"PYTEST_ADDOPTS": "-p no:cacheprovider", "PATH": "/bin"}
