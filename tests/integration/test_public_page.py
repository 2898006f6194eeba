"""The public accountability page /o/<slug>/: opt-in, the report's figures, links to published
answers, open data as CSV and JSON, and no personal data anywhere."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
import time_machine
from django.test import Client

from tests.integration.reports_seed import REPORT_NOW, seed_may_2026

pytestmark = pytest.mark.django_db

PERSONAL = ("Трубин", "Кураторова", "Дорогин", "Главин", "Анна Жительница", "ул. Ленина", "Воду дадут", "котельной")


@pytest.fixture
def public(org: Any) -> dict[str, Any]:
    from otklik.inbox.models import Message
    from otklik.organization.models import Administration

    cases = seed_may_2026(org)
    Message.objects.filter(administration=org.adm).update(author_name="Анна Жительница", author_id="id100500")
    Administration.objects.filter(pk=org.adm.pk).update(public_page=True)
    return cases


def _get(client: Client, url: str) -> Any:
    with time_machine.travel(REPORT_NOW, tick=False):
        return client.get(url)


def test_the_page_exists_only_when_the_administration_opts_in(client: Client, org: Any) -> None:
    from otklik.organization.models import Administration

    assert _get(client, "/o/gz/").status_code == 404
    assert _get(client, "/o/gz/data/figures.csv").status_code == 404
    Administration.objects.filter(pk=org.adm.pk).update(public_page=True)
    assert _get(client, "/o/gz/").status_code == 200
    assert _get(client, "/o/nope/").status_code == 404
    assert _get(client, "/o/gz/data/secrets.json").status_code == 404
    assert _get(client, "/o/gz/data/figures.xml").status_code == 404


def test_figures_per_department_and_month_are_the_reports(client: Client, org: Any, public: dict[str, Any]) -> None:
    from otklik.reports.queries import build_monthly_report

    report = build_monthly_report(org.adm, dt.date(2026, 5, 1), dt.date(2026, 5, 31), now=REPORT_NOW)
    data = json.loads(_get(client, "/o/gz/data/figures.json").content)
    assert data["fields"][:3] == ["month", "department", "answered"]
    may = {r["department"]: r for r in data["records"] if r["month"] == "2026-05"}
    assert len({r["month"] for r in data["records"]}) == 12
    for row in report.departments:
        got = may[row.name]
        assert (got["answered"], got["on_time"], got["on_time_percent"], got["median_working_hours"]) == (
            row.answered, row.answered_on_time, row.on_time_percent, row.median_hours,
        )  # fmt: skip
    assert (may["Всего"]["answered"], may["Всего"]["median_working_hours"]) == (3, 4.67)
    html = _get(client, "/o/gz/?month=2026-05").content.decode()
    assert "Отдел ЖКХ, строительства и транспорта" in html and "33 %" in html and "7.83" in html.replace(",", ".")


def test_published_answers_link_to_the_networks(client: Client, org: Any, public: dict[str, Any]) -> None:
    html = _get(client, "/o/gz/?month=2026-05").content.decode()
    for url in ("https://ok.ru/a", "https://forum/b", "https://forum/c1", "https://forum/c2"):
        assert f'href="{url}"' in html
    assert "промежуточный ответ" in html
    rows = list(csv.reader(io.StringIO(_get(client, "/o/gz/data/answers.csv?month=2026-05").content.decode("utf-8-sig")),
                           delimiter=";"))  # fmt: skip
    assert rows[0] == ["published_at", "department", "topics", "settlement", "network", "kind", "url"]
    assert sorted(r[6] for r in rows[1:]) == [
        "https://forum/b",
        "https://forum/c1",
        "https://forum/c2",
        "https://ok.ru/a",
    ]
    assert {r[3] for r in rows[1:]} == {"Газимурский Завод", "Широкая"}


def test_no_personal_data_on_the_page_or_in_the_open_data(client: Client, org: Any, public: dict[str, Any]) -> None:
    from otklik.organization.models import Place

    street = Place.objects.create(administration=org.adm, name="ул. Ленина", kind="street", parent=org.places["gz"])
    public["a"].place = street
    public["a"].save(update_fields=["place"])
    bodies = [
        _get(client, url).content.decode("utf-8-sig")
        for url in ("/o/gz/?month=2026-05", "/o/gz/data/figures.csv", "/o/gz/data/figures.json",
                    "/o/gz/data/answers.csv?month=2026-05", "/o/gz/data/answers.json?month=2026-05")
    ]  # fmt: skip
    for body in bodies:
        for word in PERSONAL:
            assert word not in body
        assert "id100500" not in body
    assert "Газимурский Завод" in bodies[0]  # the street counts for its settlement


def test_open_data_csv_cannot_carry_a_formula(client: Client, org: Any, public: dict[str, Any]) -> None:
    from otklik.organization.models import Department

    Department.objects.filter(pk=org.depts["zhkh"].pk).update(name='=HYPERLINK("http://evil","x")')
    text = _get(client, "/o/gz/data/figures.csv?month=2026-05").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    names = [r[1] for r in rows[1:]]
    assert '\'=HYPERLINK("http://evil","x")' in names and not any(n.startswith("=") for n in names)
    data = json.loads(_get(client, "/o/gz/data/figures.json?month=2026-05").content)
    assert '=HYPERLINK("http://evil","x")' in {r["department"] for r in data["records"]}  # JSON keeps it as it is


def test_a_future_or_broken_month_shows_the_current_one(client: Client, org: Any, public: dict[str, Any]) -> None:
    for query in ("?month=2031-01", "?month=май"):
        html = _get(client, "/o/gz/" + query).content.decode()
        assert "Подразделения — июнь 2026 г." in html
