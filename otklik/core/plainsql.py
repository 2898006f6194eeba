"""Plain read queries, for the few reads every page makes.

Django's ORM spends 0.3–1 ms of CPU building a query, however small its answer; a signed-in
page's session, roles, bell and 2FA check, and the case page's rows, are one-row or one-case
reads whose SQL takes well under 0.1 ms. Those few are written here as plain SQL, with the
table and column names quoted for the database in use, so they run alike on SQLite and
PostgreSQL. Everything else goes through the ORM; each plain read has a test that holds it to
what the ORM reads of the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def name(identifier: str) -> str:
    """A column or alias, quoted for the database (``"order"`` is a reserved word)."""
    return connection.ops.quote_name(identifier)


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetch_one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()  # type: ignore[no-any-return]
