"""Datetimes as the database returns them: SQLite drops the zone, so naive means UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def aware(dt: datetime | None) -> datetime | None:
    """`dt` with UTC attached when the driver returned it naive."""
    if dt is None:
        return None
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def now() -> datetime:
    """Timezone-aware UTC now."""
    return datetime.now(UTC)
