"""Fixtures: services."""
