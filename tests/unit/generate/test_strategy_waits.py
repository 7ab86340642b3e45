"""No built-in strategy waits for the network to idle: an app that keeps polling never does."""

from __future__ import annotations

from qaforge.generate.strategy import BUILTIN


def test_no_builtin_strategy_waits_for_network_idle() -> None:
    # MLflow polls for ever: a suite written with "networkidle" waits failed every test
    # (0 of 68) after 30 s each, on a healthy app, when the selector picked that strategy.
    assert {name: s.wait_policy for name, s in BUILTIN.items() if s.wait_policy == "networkidle"} == {}
    assert BUILTIN["resilient"].wait_policy == "load"
