"""After a migration, SQLite's planner has statistics for every index again at once."""

from __future__ import annotations

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

from otklik.core.planner import refresh_after_migrate
from tests.conftest import chita
from tests.integration.flow import Flow

pytestmark = pytest.mark.django_db

API = pytest.mark.urls("tests.integration.api_urls")


def _period_stat() -> list[tuple[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE idx = 'case_period'")
        return cursor.fetchall()


@API
def test_an_index_a_migration_adds_gets_statistics_at_once(org) -> None:
    applied = [(object(), False)]
    if connection.vendor != "sqlite":
        assert refresh_after_migrate(plan=applied) is False  # PostgreSQL keeps its own
        return
    Flow(org).new_case("Нет воды на ул. Ленина", at=chita(2026, 12, 7, 10, 0))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    # never analysed: left to the planner's defaults; nothing applied: nothing to do
    assert refresh_after_migrate(plan=applied) is False
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        assert _period_stat()
        cursor.execute("DELETE FROM sqlite_stat1 WHERE idx = 'case_period'")  # as a new index is
    assert refresh_after_migrate(plan=[]) is False and not _period_stat()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default", plan=applied)
    assert _period_stat()
