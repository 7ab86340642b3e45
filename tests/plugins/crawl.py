"""Fixtures: crawl."""
