"""Fixtures: demo."""
