"""The built calendar is kept per process under the administration's ``calendar_version``: a page
runs no query for it, and every change of an exception or a loaded year is seen on the next use —
in this process and in others, which read the new version with the administration."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from otklik.organization.models import Administration, CalendarException

pytestmark = pytest.mark.django_db

# A Wednesday, a working day in the shipped calendar.
DAY = dt.date(2026, 12, 16)


def fresh(org: Any) -> Administration:
    """The administration as another request (or another process) reads it."""
    return Administration.objects.get(pk=org.adm.pk)


def test_a_built_calendar_is_used_again_without_a_query(org: Any) -> None:
    assert fresh(org).calendar.day(DAY).is_working  # built
    adm = fresh(org)
    with CaptureQueriesContext(connection) as queries:
        calendar = adm.calendar
    assert queries.captured_queries == []
    assert calendar.day(DAY).is_working


def test_an_exception_saved_elsewhere_is_seen_by_the_next_request(org: Any) -> None:
    assert fresh(org).calendar.day(DAY).is_working
    # saved through another object than the one the next request reads (the admin site, a task)
    exception = CalendarException.objects.create(administration=fresh(org), date=DAY, kind="day_off")
    assert not fresh(org).calendar.day(DAY).is_working
    exception.kind = "working_day"
    exception.save()
    assert fresh(org).calendar.day(DAY).is_working
    exception.delete()
    assert fresh(org).calendar.day(DAY).is_working


def test_the_request_that_saves_the_exception_sees_it_at_once(org: Any) -> None:
    adm = fresh(org)
    assert adm.calendar.day(DAY).is_working
    CalendarException.objects.create(administration=adm, date=DAY, kind="day_off")
    assert not adm.calendar.day(DAY).is_working


def test_a_calendar_built_in_a_rolled_back_change_is_never_used(org: Any) -> None:
    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        CalendarException.objects.create(administration=fresh(org), date=DAY, kind="day_off")
        assert not fresh(org).calendar.day(DAY).is_working  # built and kept under the new version
        raise Undo
    assert fresh(org).calendar.day(DAY).is_working
    # the next change gets a version of its own, not the rolled-back one
    other = DAY + dt.timedelta(days=1)
    CalendarException.objects.create(administration=fresh(org), date=other, kind="day_off")
    calendar = fresh(org).calendar
    assert calendar.day(DAY).is_working
    assert not calendar.day(other).is_working
