"""Working time in a real browser: the live countdown stands at a weekend and runs out in working
time, and an administrator loads a year's production calendar through the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import time_machine

from tests.conftest import chita, make_org

from .conftest import make_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("e2e")]


def _received(org: Any, at: Any) -> Any:
    from otklik.inbox.models import Message

    message = make_message(org, "Во дворе на Ленина, 5 прорвало трубу", external_id=f"e2e-{at:%H%M%S}")
    Message.objects.filter(pk=message.pk).update(received_at=at)
    return message


def test_countdown_stands_at_a_weekend(people: Any, shot: Any) -> None:
    from playwright.sync_api import expect

    org = make_org()
    _received(org, chita(2026, 12, 4, 17, 50))  # Friday: 10 working minutes that day
    with time_machine.travel(chita(2026, 12, 5, 12, 0), tick=True):  # Saturday noon
        page = people.page("gz-curator")
        countdown = page.get_by_test_id("message").first.get_by_test_id("countdown")
        expect(countdown).to_contain_text("осталось 20 раб. мин")
        expect(countdown).to_contain_text("7 дек., 09:20 (Чита)")
        page.wait_for_timeout(2500)  # the tick runs every second: nothing may be taken off
        expect(countdown.locator("[data-left-text]")).to_have_text("осталось 20 раб. мин")
        assert "paused" in (countdown.get_attribute("class") or "")
        shot(page, "h10-countdown-weekend")


def test_countdown_runs_out_in_working_time(people: Any, shot: Any) -> None:
    from playwright.sync_api import expect

    org = make_org()
    _received(org, chita(2026, 12, 8, 10, 0))  # Tuesday: due 10:30
    with time_machine.travel(chita(2026, 12, 8, 10, 29, 50), tick=True):
        page = people.page("gz-curator")
        countdown = page.get_by_test_id("message").first.get_by_test_id("countdown")
        expect(countdown.locator("[data-left-text]")).to_have_text("осталось < 1 раб. мин")
        expect(countdown.locator("[data-left-text]")).to_have_text("срок истёк", timeout=20_000)
        assert "lvl-overdue" in (countdown.get_attribute("class") or "")


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


def test_administrator_loads_a_year_through_the_page(people: Any, shot: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from otklik.organization.models import ProductionCalendarYear

    make_org()
    broken = tmp_path / "broken-2028.toml"
    broken.write_text(YEAR_2028.replace("working_days = 248", "working_days = 250"), encoding="utf-8")
    good = tmp_path / "calendar-2028.toml"
    good.write_text(YEAR_2028, encoding="utf-8")
    page = people.page("gz-admin")
    page.get_by_role("link", name="Календарь").click()
    page.set_input_files("input[type=file]", str(broken))
    page.get_by_role("button", name="Проверить файл").click()
    refused = page.get_by_test_id("calendar-refused")
    expect(refused).to_contain_text("строка 5: years.2028.working_days = 250")
    expect(refused).to_contain_text("ничего не сохранено")
    page.set_input_files("input[type=file]", str(good))
    page.get_by_role("button", name="Проверить файл").click()
    preview = page.get_by_test_id("calendar-preview")
    expect(preview).to_contain_text("Рабочих дней: 248")
    expect(page.get_by_test_id("preview-months")).to_contain_text("120")
    shot(page, "h10-calendar-preview")
    assert not ProductionCalendarYear.objects.exists()
    page.get_by_test_id("calendar-save").click()
    expect(page.locator(".flash")).to_contain_text("Производственный календарь на 2028 загружен")
    expect(page.get_by_test_id("calendar-years")).to_contain_text("файл «calendar-2028.toml»")
    assert ProductionCalendarYear.objects.get().year == 2028
