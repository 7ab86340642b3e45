"""Alembic migrations (packaged; configured in code by `qaforge.store.migrate`)."""
