"""The rows of the board, «Мои обращения» and the inbox are written in Python (``otklik.web.rows``):
what each cell shows, that every citizen's text is escaped, and that a street is shown with its
settlement without a query per row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from otklik.cases import actions as case_actions
from otklik.cases.models import Case
from otklik.inbox.models import Message, Source
from otklik.organization.models import Place
from otklik.web import rows
from tests.conftest import chita

NOW = chita(2026, 12, 7, 10, 0)


def _case(org, text: str, *, place: Place | None = None, significant: bool = False) -> Case:
    source = Source.objects.get_or_create(administration=org.adm, kind="vk", name="ВК")[0]
    message = Message.objects.create(
        administration=org.adm,
        source=source,
        network="vk",
        external_id=f"m{Message.objects.count() + 1}",
        author_name="Житель <b>",
        text=text,
        published_at=NOW,
        received_at=NOW,
    )
    case = case_actions.case_detect(message=message, actor=org.actor("curator"), now=NOW)
    case_actions.case_route(
        case=case,
        actor=org.actor("curator"),
        targets=[case_actions.RouteTarget(department_id=org.depts["roads"].pk)],
        now=NOW,
    )
    Case.objects.filter(pk=case.pk).update(place=place, significant=significant)
    return case


def test_truncate_is_truncatechars():
    assert rows.truncate("абв", 3) == "абв"
    assert rows.truncate("абвг", 3) == "аб…"
    assert rows.truncate("", 5) == ""


@pytest.mark.django_db
def test_board_row_shows_each_cell_escaped(org):
    street = Place.objects.create(administration=org.adm, name="ул. Ленина", parent=org.places["gz"])
    _case(org, "Яма <script>alert(1)</script> у школы", place=street, significant=True)
    client = Client()
    client.force_login(org.users["curator"])
    html = client.get("/board/").content.decode()
    assert html.count('data-testid="case-row"') == 1
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Газимурский Завод, ул. Ленина" in html  # the street with its settlement
    assert 'class="badge danger" title="Социально значимое (п. 23)"' in html
    assert '<span class="dept lead">' in html  # the lead department
    assert 'data-testid="countdown"' in html and "осталось" in html
    assert "ВКонтакте" in html


@pytest.mark.django_db
def test_board_reads_places_with_their_settlement_in_the_page_query(org):
    client = Client()
    client.force_login(org.users["curator"])
    street = Place.objects.create(administration=org.adm, name="ул. Ленина", parent=org.places["gz"])
    _case(org, "Яма у школы", place=street)
    client.get("/board/")
    with CaptureQueriesContext(connection) as one:
        client.get("/board/")
    for i in range(5):
        other = Place.objects.create(administration=org.adm, name=f"ул. {i}", parent=org.places["shirokaya"])
        _case(org, f"Нет света {i}", place=other)
    with CaptureQueriesContext(connection) as six:
        html = client.get("/board/").content.decode()
    assert len(six.captured_queries) == len(one.captured_queries)
    assert "Широкая, ул. 4" in html


@pytest.mark.django_db
def test_inbox_row_shows_flags_and_escapes_the_text(org):
    source = Source.objects.create(administration=org.adm, kind="vk", name="Группа <i>")
    Message.objects.create(
        administration=org.adm,
        source=source,
        network="vk",
        external_id="x1",
        url="https://vk.com/wall-1_2?reply=3&thread=4",
        author_name="",
        text="Нет воды <img src=x onerror=alert(1)>",
        published_at=NOW,
        received_at=NOW - dt.timedelta(minutes=5),
        triage={
            "importance": {"level": "high"},
            "significant": True,
            "screen": {"processable": False},
            "topic": 1,
            "topic_name": "ЖКХ & вода",
            "places": [{"name": "Широкая"}],
        },
    )
    client = Client()
    client.force_login(org.users["curator"])
    html = client.get("/inbox/").content.decode()
    assert html.count('data-testid="message"') == 1
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Группа &lt;i&gt;" in html
    assert 'href="https://vk.com/wall-1_2?reply=3&amp;thread=4"' in html
    assert '<span class="author">—</span>' in html
    for text in ("высокая", "социально значимое", 'data-testid="flag-p19"', "ЖКХ &amp; вода", ">Широкая<"):
        assert text in html.lower() or text in html, text


@pytest.mark.django_db
def test_nightly_statistics_task_runs_on_this_database(org):
    from otklik.core.tasks import refresh_statistics

    assert refresh_statistics.run() == connection.vendor
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_stat1")
            assert cursor.fetchone()[0] > 0


@pytest.mark.django_db
def test_open_assignment_lists_use_the_partial_indexes_on_sqlite(org):
    """SQLite takes an index for ``WHERE case_open`` only when the index is partial on it."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner")
    from otklik.cases.models import Assignment

    for qs, index in (
        (Assignment.objects.filter(department_id=1, case_open=True), "assignment_open_dept"),
        (Assignment.objects.filter(assignee_id=1, case_open=True), "assignment_open_person"),
    ):
        sql, params = qs.values("case_id").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(r) for r in cursor.fetchall())
        assert index in plan, plan


@pytest.mark.django_db
def test_my_cases_asks_the_database_the_same_number_of_times_for_1_or_6_cases(org):
    client = Client()
    client.force_login(org.users["roads"])
    _case(org, "Яма у школы")
    client.get("/my/")
    with CaptureQueriesContext(connection) as one:
        html = client.get("/my/").content.decode()
    assert html.count('data-testid="case-row"') == 1
    for i in range(5):
        _case(org, f"Нет света {i}", place=org.places["gz"])
    with CaptureQueriesContext(connection) as six:
        html = client.get("/my/").content.decode()
    assert html.count('data-testid="case-row"') == 6
    assert len(six.captured_queries) == len(one.captured_queries)


@pytest.mark.django_db
def test_postgresql_has_the_stage_time_indexes_sqlite_has_not(org):
    with connection.cursor() as cursor:
        names = {i for i in connection.introspection.get_constraints(cursor, "sla_stage")}
    wanted = {"stage_adm_key_due", "stage_adm_key_started"}
    if connection.vendor == "postgresql":
        assert wanted <= names
    else:
        assert not wanted & names
