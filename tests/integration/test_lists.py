"""The lists read stored fields: the list fields follow the action path, the board and «Мои
обращения» come a page at a time with counts over every page, and search finds word forms and
fragments on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from otklik.cases.listfields import AMBER, GREEN, OVERDUE, RED, level_at
from otklik.cases.models import Case
from otklik.core import fulltext
from otklik.inbox.models import Message
from otklik.sla.models import Stage
from otklik.web import selectors as web_selectors
from tests.conftest import chita
from tests.integration.flow import Flow

API = pytest.mark.urls("tests.integration.api_urls")


def _stored(case_id: int) -> Case:
    return Case.objects.get(pk=case_id)


@API
def test_list_fields_follow_the_nearest_open_stage_through_every_action(org):
    f = Flow(org)
    case = f.new_case("Нет воды на ул. Ленина", at=chita(2026, 12, 7, 10, 0))
    c = _stored(case["id"])
    # The route stage (П.8, 30 working minutes) from 10:00: half left at 10:15, a quarter at 10:22:30.
    assert (c.next_stage, c.next_deadline_at, c.next_started_at) == (
        "route",
        chita(2026, 12, 7, 10, 30),
        chita(2026, 12, 7, 10, 0),
    )
    assert c.next_amber_at == chita(2026, 12, 7, 10, 15)
    assert c.next_red_at == chita(2026, 12, 7, 10, 22, 30)
    f.route(case["id"], "zhkh", at=chita(2026, 12, 7, 10, 20))
    c = _stored(case["id"])
    assert list(c.assignments.values_list("case_open", flat=True)) == [True]
    nearest = Stage.objects.filter(case=c, status="open").order_by("due_at", "id").first()
    assert nearest is not None
    assert (c.next_stage, c.next_deadline_at, c.next_started_at) == (nearest.key, nearest.due_at, nearest.started_at)
    # Counted in working time: the return stage (30 working minutes from 10:20) is amber at 10:35.
    assert c.next_amber_at == org.adm.calendar.subtract(nearest.due_at, dt.timedelta(seconds=nearest.limit_seconds / 2))
    f.accept(case["id"], "zhkh", at=chita(2026, 12, 7, 10, 25))
    f.submit(case["id"], "zhkh", at=chita(2026, 12, 7, 11, 0))
    f.approve(case["id"], at=chita(2026, 12, 7, 11, 10))
    f.publish(case["id"], "zhkh", at=chita(2026, 12, 7, 11, 20))
    c = _stored(case["id"])
    assert c.state == "closed"
    # The department's open-case list no longer holds it.
    assert list(c.assignments.values_list("case_open", flat=True)) == [False]
    assert (c.next_deadline_at, c.next_stage, c.next_started_at, c.next_amber_at, c.next_red_at) == (
        None,
        "",
        None,
        None,
        None,
    )


def test_stored_level_is_the_level_of_the_countdown():
    due = chita(2026, 12, 7, 10, 30)
    amber, red = chita(2026, 12, 7, 10, 15), chita(2026, 12, 7, 10, 22, 30)
    levels = [level_at(chita(2026, 12, 7, 10, m), due=due, amber_at=amber, red_at=red) for m in (0, 16, 23, 30)]
    assert levels == [GREEN, AMBER, RED, OVERDUE]
    # The same thresholds as deadline_level (wall-clock time, no working limit).
    for minute in range(0, 31):
        now = chita(2026, 12, 7, 10, minute)
        assert level_at(now, due=due, amber_at=amber, red_at=red) == web_selectors.deadline_level(
            now=now, due=due, started=chita(2026, 12, 7, 10, 0)
        )


def _many_open_cases(org, n: int) -> list[int]:
    f = Flow(org)
    ids = []
    for i in range(n):
        case = f.new_case(f"Обращение {i}: яма на дороге", at=chita(2026, 12, 7, 9, 0) + dt.timedelta(minutes=i))
        f.route(case["id"], "roads" if i % 2 else "zhkh", at=chita(2026, 12, 7, 9, 5) + dt.timedelta(minutes=i))
        ids.append(case["id"])
    return ids


def _login(client: Client, user) -> None:
    client.force_login(user)


@pytest.mark.django_db
def test_board_is_paginated_and_counts_every_page(org, monkeypatch):
    monkeypatch.setattr(web_selectors, "PAGE_SIZE", 4)
    _many_open_cases(org, 10)
    client = Client()
    _login(client, org.users["curator"])
    first = client.get("/board/")
    assert first.status_code == 200
    html = first.content.decode()
    assert html.count('data-testid="case-row"') == 4
    assert 'data-testid="pager"' in html and "?page=2" in html
    last = client.get("/board/?page=3").content.decode()
    assert last.count('data-testid="case-row"') == 2
    # The counts are over the whole list, not the page: 10 open cases in all.
    page, counts = web_selectors.board(org.actor("curator"), web_selectors.BoardFilter(), now=chita(2026, 12, 7, 9, 0))
    assert page.paginator.count == 10
    assert sum(counts[k] for k in ("green", "amber", "red", "overdue")) == 10
    # A filter is kept in the pager's links.
    dept = org.depts["roads"].pk
    html = client.get(f"/board/?department={dept}").content.decode()
    assert html.count('data-testid="case-row"') == 4
    assert f"department={dept}&amp;page=2" in html or f"department={dept}&page=2" in html


@pytest.mark.django_db
def test_colour_counts_are_each_cases_own_level(org):
    """``level_counts`` (counted over the open cases' index columns) gives, for every moment of a
    case's countdown and with closed cases among them, exactly the levels of the rows one by one."""
    from otklik.cases import actions as a

    _many_open_cases(org, 6)
    refused = Flow(org).new_case("Реклама", at=chita(2026, 12, 7, 9, 20))
    closed = Case.objects.get(pk=refused["id"])
    a.case_refuse(case=closed, actor=org.actor("curator"), reason="Не обращение.", now=chita(2026, 12, 7, 9, 30))
    cases = Case.objects.filter(administration=org.adm)
    seen: set[str] = set()
    for minute in (0, 5, 10, 15, 20, 25, 40, 60, 24 * 60):
        now = chita(2026, 12, 7, 9, 10) + dt.timedelta(minutes=minute)
        expected = dict.fromkeys(("green", "amber", "red", "overdue", "none"), 0)
        for c in cases:
            expected[level_at(now, due=c.next_deadline_at, amber_at=c.next_amber_at, red_at=c.next_red_at)] += 1
        counts = web_selectors.level_counts(cases, now=now)
        assert counts == {**expected, "total": len(cases)}, minute
        assert counts["none"] == 1
        seen |= {level for level, n in expected.items() if n}
    assert seen == {"green", "amber", "red", "overdue", "none"}


@pytest.mark.django_db
def test_my_cases_is_paginated(org, monkeypatch):
    monkeypatch.setattr(web_selectors, "PAGE_SIZE", 3)
    _many_open_cases(org, 8)
    client = Client()
    _login(client, org.users["zhkh"])
    html = client.get("/my/").content.decode()
    assert html.count('data-testid="case-row"') == 3
    assert client.get("/my/?page=2").content.decode().count('data-testid="case-row"') == 1
    # A page past the end shows the last one, not an error.
    assert client.get("/my/?page=99").status_code == 200


@pytest.mark.django_db
def test_board_asks_the_database_the_same_number_of_times_for_3_or_30_cases(org, django_assert_max_num_queries):
    _many_open_cases(org, 3)
    client = Client()
    _login(client, org.users["curator"])
    client.get("/board/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/board/")
    _many_open_cases(org, 27)
    with CaptureQueriesContext(connection) as many:
        client.get("/board/")
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("труба", {"pipe"}),
        ("трубы", {"pipe"}),  # another form of the word
        ("ТРУБОЙ", {"pipe"}),
        ("котельн", {"boiler"}),  # a fragment
        ("котельной не работает", {"boiler"}),  # every word, in its forms
        ("ёлка", {"tree"}),  # «ё» and «е» are one letter for search
        ("елка", {"tree"}),
        ("яма котельн", set()),
        ("экскаватор", set()),
    ],
)
def test_case_search_finds_word_forms_and_fragments(org, query, found):
    f = Flow(org)
    ids = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.conf.settings.ROOT_URLCONF", "tests.integration.api_urls")
        from django.urls import clear_url_caches

        clear_url_caches()
        for key, text in (
            ("pipe", "Прорвало трубу на улице Ленина"),
            ("boiler", "Котельная в школе не работает, холодно"),
            ("tree", "Упала ёлка у клуба"),
            ("pit", "Яма на дороге у моста"),
        ):
            ids[f.new_case(text, at=chita(2026, 12, 7, 10, 0), summary=text)["id"]] = key
        clear_url_caches()
    hits = fulltext.search_cases(Case.objects.all(), query)
    assert {ids[c.pk] for c in hits} == found
    # An edit of the summary is what search sees next.
    pipe = next(pk for pk, key in ids.items() if key == "pipe")
    Case.objects.get(pk=pipe).__class__.objects.filter(pk=pipe)  # read only
    case = Case.objects.get(pk=pipe)
    case.summary = "Засор канализации"
    case.save(update_fields=["summary"])
    assert pipe not in {c.pk for c in fulltext.search_cases(Case.objects.all(), "труба")}
    assert pipe in {c.pk for c in fulltext.search_cases(Case.objects.all(), "канализац")}


@pytest.mark.django_db
def test_message_search_finds_word_forms_and_fragments(org):
    from otklik.inbox.models import Source

    source = Source.objects.create(administration=org.adm, name="VK", kind="vk", network="vk")
    now = chita(2026, 12, 7, 10, 0)
    texts = ["Не вывозят мусор третью неделю", "Свет на улице Школьной не горит", "Всё хорошо, спасибо"]
    msgs = [
        Message.objects.create(
            administration=org.adm, source=source, network="vk", external_id=str(i), text=t, received_at=now
        )
        for i, t in enumerate(texts)
    ]
    qs = Message.objects.all()
    assert [m.pk for m in fulltext.search_messages(qs, "мусора")] == [msgs[0].pk]
    assert [m.pk for m in fulltext.search_messages(qs, "школьн")] == [msgs[1].pk]
    assert [m.pk for m in fulltext.search_messages(qs, "ВСЕ")] == [msgs[2].pk]
    assert list(fulltext.search_messages(qs, "экскаватор")) == []
    assert fulltext.search_messages(qs, "  ") is qs


@pytest.mark.django_db
def test_sqlite_full_text_index_is_rebuilt_when_a_table_rebuild_dropped_its_triggers(org):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 tables; PostgreSQL's indexes are part of the table")
    f = Flow(org)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.conf.settings.ROOT_URLCONF", "tests.integration.api_urls")
        from django.urls import clear_url_caches

        clear_url_caches()
        case = f.new_case("Нет света", at=chita(2026, 12, 7, 10, 0), summary="Нет света в подъезде")
        clear_url_caches()
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER otklik_fts_case_ai")
        cursor.execute("DROP TRIGGER otklik_fts_case_au")
        cursor.execute("INSERT INTO otklik_fts_case(otklik_fts_case) VALUES ('delete-all')")
    assert not fulltext.search_cases(Case.objects.all(), "подъезд").exists()
    fulltext.install(connection)
    assert [c.pk for c in fulltext.search_cases(Case.objects.all(), "подъезд")] == [case["id"]]


@pytest.mark.django_db
def test_a_common_words_page_read_by_walking_the_index_is_the_lists_own_slice(org, monkeypatch):
    """``case_slice``: for a word in many cases the page is read by walking the open cases'
    deadline index and then the others' date index, probing each row for the match; every
    slice — inside the open part, across into the closed part, wholly past it, beyond the end —
    is the list's own, on both databases."""
    from otklik.cases import selectors

    now = chita(2026, 12, 7, 10, 0)
    rows = []
    for i in range(60):
        open_ = i % 3 != 0
        summary = "Прорвало трубу" if i % 4 else "Яма на дороге"
        rows.append(
            Case(
                administration=org.adm,
                number=1000 + i,
                state="in_work" if open_ else ("closed" if i % 2 else "refused"),
                network="vk",
                summary=summary,
                search_text=summary.lower(),
                # Ties on the deadline and on the date, so that the later keys decide too.
                detected_at=now - dt.timedelta(hours=i % 7),
                next_deadline_at=now + dt.timedelta(hours=i % 5) if open_ else None,
                detected_by=org.users["curator"],
            )
        )
    Case.objects.bulk_create(rows)
    actor = org.actor("curator")
    monkeypatch.setattr(selectors, "COMMON_MATCHES", 5)
    for query in ("труба", "трубы ПРОРВАЛО", "дорог"):
        f = selectors.CaseFilter(text=query)
        everything = [c.pk for c in selectors.case_list(actor, f, order="deadline")]
        assert len(everything) >= 15
        for offset, limit in ((0, 10), (0, 100), (20, 7), (len(everything) - 3, 10), (200, 5)):
            page = selectors.case_slice(actor, f, order="deadline", offset=offset, limit=limit)
            assert [c.pk for c in page] == everything[offset : offset + limit], (query, offset, limit)
        # The open part alone, and the other order, go the same way.
        opened = selectors.CaseFilter(text=query, open_only=True)
        assert [c.pk for c in selectors.case_slice(actor, opened, order="deadline", offset=3, limit=4)] == [
            c.pk for c in selectors.case_list(actor, opened, order="deadline")[3:7]
        ]
        assert [c.pk for c in selectors.case_slice(actor, f, order="detected", offset=2, limit=5)] == [
            c.pk for c in selectors.case_list(actor, f, order="detected")[2:7]
        ]
    assert fulltext.count_case_matches(Case.objects.all(), "труба", cap=1000) == 45
    assert fulltext.count_case_matches(Case.objects.all(), "труба", cap=10) == 10
