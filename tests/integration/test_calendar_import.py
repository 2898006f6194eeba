"""Loading a year's production calendar without a release: the command, the web page, what it
changes (the administration's calendar and its open cases' deadlines), and the warnings before."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from otklik.cases import actions
from otklik.cases.actions import administration_deadlines_recompute
from otklik.cases.models import Case, CaseEvent
from otklik.domain.workflow import StageKey
from otklik.organization.models import Administration, CalendarException, ProductionCalendarYear
from otklik.sla.models import Stage
from tests.conftest import chita
from tests.integration.test_web_views import login, make_message

pytestmark = pytest.mark.django_db

# Not a decree: a made-up 2028 for the tests. 10 Jan 2028 is a day off here (the estimate from the
# holidays package has it as a working Monday), so deadlines over New Year 2028 move by a day.
YEAR_2028 = """\
country = "RU"

[years.2028]
decree = "Учебный файл"
working_days = 248
working_hours = 1981
days_off = [
  { date = 2028-01-10, moved_from = 2028-01-01 },
  { date = 2028-05-08, moved_from = 2028-01-08 },
]
shortened = [2028-02-22, 2028-03-07, 2028-04-28]
"""


def _file(tmp_path: Path, text: str = YEAR_2028) -> Path:
    path = tmp_path / "calendar-2028.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _import(*args: str) -> str:
    out = StringIO()
    call_command("calendar", "import", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _case_over_new_year_2028(org: Any) -> Case:
    """A case detected on 30 Dec 2027, 17:30: its answer deadline is in January 2028."""
    curator = org.actor("curator")
    now = chita(2027, 12, 30, 17, 30)
    return actions.case_detect(message=make_message(org), actor=curator, now=now)


# -- the command -----------------------------------------------------------------------------------


def test_import_dry_run_previews_totals_and_monthly_norms_and_saves_nothing(org: Any, tmp_path: Path) -> None:
    out = _import(str(_file(tmp_path)), "--dry-run")
    assert "2028 год — Учебный файл" in out
    assert "рабочих дней: 248 (из них сокращённых: 3)" in out and "рабочих часов: 1981 — как в файле" in out
    assert "янв 15/120" in out and "дек 21/168" in out
    assert "до загрузки: оценка по пакету holidays" in out
    assert "10.01.2028: рабочий, 8 ч → выходной" in out
    assert "ничего не сохранено" in out
    assert not ProductionCalendarYear.objects.exists()


def test_import_saves_the_year_and_recomputes_open_cases(org: Any, tmp_path: Path) -> None:
    case = _case_over_new_year_2028(org)
    # Estimated: 30 min on 30 Dec, 31 Dec off, 1–9 Jan off, 10 Jan 8 h, 11 Jan 09:30.
    assert case.answer_due_at == chita(2028, 1, 11, 9, 30)
    out = _import(str(_file(tmp_path)), "--yes", "--user", org.users["admin"].username)
    assert "загружен производственный календарь на 2028" in out and "сроки пересчитаны в обращениях: 1" in out
    row = ProductionCalendarYear.objects.get()
    assert (row.year, row.working_days, row.working_hours, row.loaded_by) == (2028, 248, 1981, org.users["admin"])
    case.refresh_from_db()
    assert case.answer_due_at == chita(2028, 1, 12, 9, 30)  # 10 Jan is now a day off
    answer = Stage.objects.get(case=case, key=StageKey.ANSWER.value)
    assert answer.due_at == chita(2028, 1, 12, 9, 30)
    event = CaseEvent.objects.get(case=case, action="recompute_deadlines")
    assert event.actor is None and event.payload["changed_by"] == org.users["admin"].pk  # the system did it
    assert {s["stage"] for s in event.payload["stages"]} == {"answer"}
    # The administration's calendar and the deadline command now use the loaded year.
    assert Administration.objects.get(pk=org.adm.pk).calendar.production.covers(2028)
    out = StringIO()
    call_command("deadline", "--limit", "route", "--from", "2028-01-10T10:00", stdout=out, stderr=StringIO())
    assert out.getvalue().strip() == "2028-01-11T09:30:00+09:00"


def test_import_again_supersedes_the_year_and_keeps_the_old_row(org: Any, tmp_path: Path) -> None:
    _import(str(_file(tmp_path)), "--yes")
    _import(str(_file(tmp_path)), "--yes")
    rows = list(ProductionCalendarYear.objects.order_by("pk"))
    assert len(rows) == 2 and rows[0].superseded_at is not None and rows[1].superseded_at is None


def test_import_of_a_broken_file_names_the_line_and_saves_nothing(org: Any, tmp_path: Path) -> None:
    broken = _file(tmp_path, YEAR_2028.replace("{ date = 2028-05-08", "{ date = 2028-13-08"))
    with pytest.raises(CommandError) as info:
        _import(str(broken), "--yes")
    assert info.value.returncode == 2
    assert "calendar-2028.toml, строка 9" in str(info.value) and "ничего не сохранено" in str(info.value)
    wrong_total = _file(tmp_path, YEAR_2028.replace("working_hours = 1981", "working_hours = 1980"))
    with pytest.raises(CommandError, match=r"строка 6: years\.2028\.working_hours = 1980"):
        _import(str(wrong_total), "--yes")
    assert not ProductionCalendarYear.objects.exists()


def test_import_with_several_administrations_needs_one_named_or_all(org: Any, other_org: Any, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--administration"):
        _import(str(_file(tmp_path)), "--yes")
    _import(str(_file(tmp_path)), "--yes", "--administration", "other")
    assert list(ProductionCalendarYear.objects.values_list("administration__slug", flat=True)) == ["other"]
    # Per administration: the other one still estimates 2028.
    assert not Administration.objects.get(pk=org.adm.pk).calendar.production.covers(2028)
    _import(str(_file(tmp_path)), "--yes", "--all")
    assert ProductionCalendarYear.objects.filter(superseded_at__isnull=True).count() == 2


# -- the web page ------------------------------------------------------------------------------------


def _upload(client: Client, text: str, name: str = "2028.toml") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("organization:calendar"),
        {"step": "preview", "file": SimpleUploadedFile(name, text.encode("utf-8"), content_type="application/toml")},
    )


def test_web_import_previews_then_saves_and_recomputes(
    client: Client, org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = _case_over_new_year_2028(org)
    login(client, org, "admin")
    response = _upload(client, YEAR_2028)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="calendar-preview"' in html
    assert "Рабочих дней: 248 (из них сокращённых: 3)" in html and "рабочих часов: 1981" in html
    assert "<td>15</td>" in html and "<td>120</td>" in html  # January's norm
    assert "10 января 2028" in html
    assert not ProductionCalendarYear.objects.exists()  # a preview saves nothing
    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(
            reverse("organization:calendar"), {"step": "save", "text": YEAR_2028, "file_name": "2028.toml"}
        )
    assert saved.status_code == 302
    row = ProductionCalendarYear.objects.get()
    assert row.loaded_by == org.users["admin"] and row.file_name == "2028.toml"
    case.refresh_from_db()
    assert case.answer_due_at == chita(2028, 1, 12, 9, 30)
    page = client.get(reverse("organization:calendar")).content.decode()
    assert "файл «2028.toml», загружен" in page and "загружен. Сроки открытых обращений пересчитываются" in page


def test_web_import_refuses_a_broken_file_with_its_line(client: Client, org: Any) -> None:
    login(client, org, "curator")
    response = _upload(client, YEAR_2028.replace("2028-03-07", "2027-03-07"))
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="calendar-refused"' in html and "ничего не сохранено" in html
    assert "строка 11: years.2028.shortened: 2027-03-07 не относится к 2028 году" in html
    # A tampered "save" is checked again.
    response = client.post(
        reverse("organization:calendar"), {"step": "save", "text": "country = 'RU'", "file_name": "x.toml"}
    )
    assert response.status_code == 400
    assert not ProductionCalendarYear.objects.exists()


def test_only_the_administrator_and_curators_load_calendars(client: Client, org: Any) -> None:
    assert login(client, org, "zhkh").get(reverse("organization:calendar")).status_code == 403
    assert login(client, org, "head").get(reverse("organization:calendar")).status_code == 403
    page = login(client, org, "admin").get(reverse("organization:calendar"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="calendar-years"' in html and "данные выпуска" in html and "1972" in html


# -- the banner and the system check ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "shown", "text"),
    [
        (dt.datetime(2027, 9, 30, 3, 0, tzinfo=dt.UTC), False, ""),
        (dt.datetime(2027, 10, 1, 3, 0, tzinfo=dt.UTC), True, "С 1 января 2028 года (через 92 дн.)"),
        (
            dt.datetime(2028, 1, 10, 3, 0, tzinfo=dt.UTC),
            True,
            "на 2028 год не загружен: сроки считаются приблизительно",
        ),
    ],
)
def test_banner_about_a_missing_year_from_1_october(
    client: Client, org: Any, moment: dt.datetime, shown: bool, text: str
) -> None:
    with time_machine.travel(moment, tick=False):
        for name in ("curator", "admin"):
            html = login(client, org, name).get(reverse("sources:list")).content.decode()
            assert ('data-testid="calendar-banner"' in html) is shown, name
            assert text in html
        executor = login(client, org, "zhkh").get(reverse("web:my_cases")).content.decode()
        assert 'data-testid="calendar-banner"' not in executor


def test_banner_goes_once_the_year_is_loaded(client: Client, org: Any, tmp_path: Path) -> None:
    _import(str(_file(tmp_path)), "--yes")
    with time_machine.travel(dt.datetime(2027, 10, 1, 3, 0, tzinfo=dt.UTC), tick=False):
        html = login(client, org, "curator").get(reverse("web:inbox")).content.decode()
    assert 'data-testid="calendar-banner"' not in html


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2027, 9, 30), None),
        (dt.date(2027, 10, 1), "через 92 дн. начинается 2028 год"),
        (dt.date(2027, 12, 2), "через 30 дн. начинается 2028 год"),
        (dt.date(2028, 2, 1), "идёт 2028 год"),
    ],
)
def test_system_check_counts_the_days_left(today: dt.date, expected: str | None) -> None:
    from otklik.core.checks import production_calendar_covers_the_coming_year

    with time_machine.travel(dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC), tick=False):
        found = production_calendar_covers_the_coming_year(databases=["default"])
    if expected is None:
        assert found == []
    else:
        [warning] = found
        assert warning.id == "otklik.W001" and expected in warning.msg and "45" not in warning.msg


# -- recomputing ------------------------------------------------------------------------------------


def test_a_new_day_off_moves_open_deadlines_and_lifts_a_breach_that_moved_away(org: Any) -> None:
    curator = org.actor("curator")
    case = actions.case_detect(message=make_message(org), actor=curator, now=chita(2026, 12, 7, 17, 45))
    route = Stage.objects.get(case=case, key=StageKey.ROUTE.value)
    assert route.due_at == chita(2026, 12, 8, 9, 15)
    Stage.objects.filter(pk=route.pk).update(breached_at=chita(2026, 12, 8, 9, 16))
    CalendarException.objects.create(administration=org.adm, date=dt.date(2026, 12, 8), kind="day_off")
    result = administration_deadlines_recompute(
        administration=org.adm, changed_by=org.users["admin"].pk, reason="test", now=chita(2026, 12, 8, 9, 20)
    )
    assert (result.cases, result.stages) == (1, 2)  # route and answer
    route.refresh_from_db()
    case.refresh_from_db()
    assert route.due_at == chita(2026, 12, 9, 9, 15) and route.breached_at is None
    assert case.next_deadline_at == chita(2026, 12, 9, 9, 15)
    assert case.answer_due_at == chita(2026, 12, 10, 9, 45)
    # Nothing moves a second time, and a closed case is left alone.
    assert administration_deadlines_recompute(administration=org.adm, changed_by=None, reason="again").cases == 0


def test_a_shortened_deadline_stays_where_the_curator_put_it(org: Any) -> None:
    curator = org.actor("curator")
    now = chita(2026, 12, 7, 10, 0)
    case = actions.case_detect(
        message=make_message(org),
        actor=curator,
        now=now,
        triage=actions.TriageData(shortened_deadline=chita(2026, 12, 7, 15, 0)),
    )
    CalendarException.objects.create(administration=org.adm, date=dt.date(2026, 12, 7), kind="day_off")
    administration_deadlines_recompute(administration=org.adm, changed_by=None, reason="test", now=now)
    case.refresh_from_db()
    assert case.answer_due_at == chita(2026, 12, 7, 15, 0)
