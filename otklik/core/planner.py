"""SQLite's planner statistics, refreshed after a migration that changed the schema.

SQLite keeps statistics only when asked (``ANALYZE``: the nightly ``refresh_statistics`` task).
An index a migration adds has none until then, and beside the analysed ones the planner takes it
for the most selective of all: after ``case_period`` grew into a covering index, SQLite drove
every one of the Head's stage counts from it — all 1,000,000 cases of the administration, each
probed for its stages — and the dashboard took 8.2 s instead of 67 ms until the next night.
So after ``migrate`` applies anything, a database that has statistics gets them again at once
(about 7 s at 1,000,000 cases; readers are not blocked in WAL mode). One never analysed is left
alone: its planner's guesses are at least all of a kind. PostgreSQL needs none of this: its
statistics are per column, and autovacuum keeps them.
"""

from __future__ import annotations

from typing import Any

from django.db import connections


def refresh_after_migrate(using: str = "default", plan: list[tuple[Any, bool]] | None = None, **_: Any) -> bool:
    """``post_migrate``: ``ANALYZE`` an analysed SQLite database when migrations were applied.
    Returns whether it did."""
    connection = connections[using]
    if connection.vendor != "sqlite" or not plan:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return False
        cursor.execute("ANALYZE")
    return True
