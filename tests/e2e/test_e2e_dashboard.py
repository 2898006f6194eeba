"""The Head reads the month from one screen, on a desk (1366×768) and on a phone (390×844).

Screenshots: ``test-artifacts/e2e/dashboard-desktop.png``, ``dashboard-phone.png``,
``dashboard-phone-board.png``, ``public-page-phone.png``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_org
from tests.integration.reports_seed import seed_may_2026
from tests.integration.test_dashboard import seed_overdue_in_every_state

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("e2e")]


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"the page scrolls sideways: {width} > {viewport}"


def test_dashboard_on_a_desk_and_on_a_phone(people: Any, shot: Any) -> None:
    from playwright.sync_api import expect

    from otklik.organization.models import Administration

    org = make_org()
    seed_may_2026(org)
    cases = seed_overdue_in_every_state(org)
    Administration.objects.filter(pk=org.adm.pk).update(public_page=True)

    desk = people.page("gz-head", viewport={"width": 1366, "height": 768})
    desk.goto("/dashboard/?month=2026-05")
    expect(desk.get_by_role("heading", name="Сводка за май 2026 г.")).to_be_visible()
    expect(desk.get_by_test_id("tile-late").locator("b")).to_have_text("1")
    expect(desk.get_by_test_id("alerts").get_by_test_id("alert").first).to_contain_text(f"№ {cases['interim'].number}")
    expect(desk.locator("svg.chart.trend").first).to_be_visible()
    expect(desk.locator("svg.chart.map")).to_be_visible()
    _no_sideways_scroll(desk)
    shot(desk, "dashboard-desktop")

    phone = people.page("gz-head", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.goto("/dashboard/?month=2026-05")
    tiles = phone.get_by_test_id("tiles")
    expect(tiles).to_be_visible()
    box = tiles.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    expect(phone.get_by_test_id("dept-row").first).to_be_visible()
    _no_sideways_scroll(phone)
    shot(phone, "dashboard-phone")

    phone.get_by_test_id("tile-overdue").click()
    expect(phone.get_by_test_id("figure-filter")).to_be_visible()
    expect(phone.get_by_test_id("board-count")).to_have_text("7")
    shot(phone, "dashboard-phone-board")

    public = people.browser.new_context(base_url=people.base_url, viewport={"width": 390, "height": 844})
    people.contexts.append(public)
    page = public.new_page()
    page.goto(f"/o/{org.adm.slug}/?month=2026-05")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Администрация Газимуро-Заводского")
    _no_sideways_scroll(page)
    shot(page, "public-page-phone")
