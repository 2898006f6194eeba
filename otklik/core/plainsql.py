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
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.sql import Query

M = TypeVar("M", bound=models.Model)


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


#: Per database, model and table alias: its columns in field order, their attribute names, and
#: the converters the ORM applies to each (SQLite's text datetimes, booleans, JSON) — worked out once.
_PLANS: dict[tuple[str, str, type[models.Model], str], tuple[str, list[str], list[tuple[int, Any]]]] = {}


def _plan(model: type[models.Model], alias: str) -> tuple[str, list[str], list[tuple[int, Any]]]:
    key = (connection.alias, connection.vendor, model, alias)
    plan = _PLANS.get(key)
    if plan is None:
        fields = model._meta.concrete_fields
        converters = Query(model).get_compiler(connection=connection).get_converters([f.get_col(alias) for f in fields])
        columns = ", ".join(f"{alias}.{name(f.column)}" for f in fields)
        plan = _PLANS[key] = (columns, [f.attname for f in fields], list(converters.items()))
    return plan


def objects(model: type[M], sql: str, params: Sequence[Any], *, alias: str = "t") -> list[M]:
    """Model instances of the rows ``SELECT {columns} FROM <model's table> {alias} {sql}`` finds,
    as the ORM would build them (``Model.from_db`` with its converters): ``{columns}`` is filled
    in. ``Manager.raw`` does the same but works out the columns and converters again for every
    query (0.05–0.08 ms each; the case page reads eleven)."""
    columns, names, converters = _plan(model, alias)
    found = []
    for row in fetch(f"SELECT {columns} FROM {table(model)} {alias} {sql}", params):
        values = list(row)
        for position, (functions, expression) in converters:
            value = values[position]
            for function in functions:
                value = function(value, expression, connection)
            values[position] = value
        found.append(model.from_db(connection.alias, names, values))
    return found
