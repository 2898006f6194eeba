"""A message from the inbox to publication in a real browser, by the people of the workflow.

The curator routes it to two departments (П.16), the roads executor sends his part, the ЖКХ
executor drafts the answer, the curator returns it once for rework (П.12–13), then approves, the
executor records the publication (П.14), and the Head sees it counted on time. Also: another
department's case is 404 by URL, markup in a message is shown as text, and the forms work
without JavaScript.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_org

from .conftest import make_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("e2e")]


def test_message_to_publication_with_one_rework(people: Any, shot: Any) -> None:
    from playwright.sync_api import expect

    from otklik.cases.models import Case
    from otklik.inbox.models import Message
    from otklik.organization.models import Topic

    org = make_org()
    Topic.objects.filter(pk=org.topics["zhkh"].pk).update(code="zhkh")
    message = make_message(
        org,
        "На улице Ленина в Газимурском Заводе вторые сутки нет воды, дорогу размыло. Когда починят?",
        external_id="1001",
    )
    Message.objects.filter(pk=message.pk).update(
        triage={
            "topic": "zhkh",
            "topic_name": "ЖКХ",
            "places": [{"name": "Газимурский Завод", "kind": "settlement"}],
            "importance": {"level": "high", "reasons": ["нет воды"]},
        }
    )

    # --- the curator: inbox → triage → route to two departments in order
    curator = people.page("gz-curator")
    expect(curator).to_have_url(f"{people.base_url}/inbox/")
    item = curator.get_by_test_id("message").first
    expect(item).to_contain_text("вторые сутки нет воды")
    expect(item).to_contain_text("ЖКХ")
    expect(item.get_by_test_id("countdown")).to_contain_text("осталось")
    shot(curator, "01-curator-inbox")
    item.get_by_role("link", name="Разобрать").click()
    expect(curator.get_by_test_id("detect-form")).to_be_visible()
    expect(curator.locator("select[name=importance]")).to_have_value("high")
    curator.get_by_test_id(f"dept-{org.depts['roads'].pk}").check()
    curator.get_by_test_id(f"dept-{org.depts['zhkh'].pk}").check()
    expect(curator.locator(f"input[name=order_{org.depts['zhkh'].pk}]")).to_have_value("2")
    shot(curator, "02-curator-triage")
    curator.get_by_role("button", name="Создать обращение и направить").click()
    expect(curator.locator(".flash")).to_contain_text("создано и направлено")
    case = Case.objects.get()
    assert case.state == "routed" and case.importance == "high"

    # --- the second executor (roads, not last): his part of the joint answer (П.16)
    roads = people.page("gz-roads")
    expect(roads).to_have_url(f"{people.base_url}/my/")
    roads.get_by_role("link", name=f"№ {case.number}").first.click()
    roads.get_by_role("textbox", name="Информация").fill("Дорогу на ул. Ленина отсыплем до пятницы.")
    roads.get_by_role("button", name="Направить информацию").click()
    expect(roads.locator(".flash")).to_contain_text("Информация для общего ответа направлена")

    # --- the executor (ЖКХ, last): accept, draft with a live counter and preview
    executor = people.page("gz-zhkh")
    expect(executor).to_have_url(f"{people.base_url}/my/")
    expect(executor.get_by_test_id("case-row")).to_have_count(1)
    executor.get_by_role("link", name=f"№ {case.number}").first.click()
    executor.get_by_role("button", name="Принять в работу").click()
    expect(executor.locator(".flash")).to_contain_text("принято в работу")
    expect(executor.get_by_test_id("contributions")).to_contain_text("отсыплем до пятницы")
    draft = "Здравствуйте! Аварийная бригада устраняет порыв."
    executor.get_by_test_id("draft-text").fill(draft)
    expect(executor.get_by_test_id("counter")).to_have_text(f"{len(draft)} / 4096")
    expect(executor.get_by_test_id("preview")).to_have_text(draft)
    shot(executor, "03-executor-draft")
    executor.get_by_role("button", name="Направить куратору на согласование").click()
    expect(executor.get_by_test_id("case-state")).to_have_text("На согласовании")

    # --- the curator returns it for rework with a comment
    curator.get_by_role("link", name="На согласовании").click()
    review = curator.get_by_test_id("review-item")
    expect(review).to_contain_text("Аварийная бригада")
    review.locator("textarea[name=comment]").fill("Укажите, когда дадут воду, и про дорогу.")
    review.get_by_role("button", name="Вернуть на доработку").click()
    expect(curator.locator(".flash")).to_contain_text("возвращён на доработку")

    # --- the executor sees the comments and resubmits
    executor.reload()
    expect(executor.get_by_test_id("resubmit-panel")).to_contain_text("Укажите, когда дадут воду")
    better = draft + " Воду дадут сегодня к 18:00, дорогу отсыплют до пятницы."
    executor.get_by_test_id("draft-text").fill(better)
    expect(executor.get_by_test_id("counter")).to_have_text(f"{len(better)} / 4096")
    shot(executor, "04-executor-rework")
    executor.get_by_role("button", name="Направить доработанный проект").click()
    expect(executor.get_by_test_id("case-state")).to_have_text("На согласовании")

    # --- the curator approves
    curator.get_by_role("link", name="На согласовании").click()
    curator.get_by_test_id("review-item").get_by_role("button", name="Согласовать").click()
    expect(curator.locator(".flash")).to_contain_text("согласован")

    # --- the executor publishes and records the link
    executor.reload()
    expect(executor.get_by_test_id("case-state")).to_have_text("Согласовано, к размещению")
    executor.locator("input[name=url]").fill("https://ok.ru/group/70000000000001/topic/1001?comment=77")
    executor.get_by_role("button", name="Ответ размещён").click()
    expect(executor.get_by_test_id("case-state")).to_have_text("Ответ размещён")
    timeline = executor.get_by_test_id("timeline")
    for title in ("Проект возвращён на доработку", "Доработанный проект направлен на согласование", "Ответ размещён"):
        expect(timeline).to_contain_text(title)
    shot(executor, "05-executor-published")
    case.refresh_from_db()
    assert case.state == "closed"

    # --- the Head sees it answered on time
    head = people.page("gz-head")
    expect(head).to_have_url(f"{people.base_url}/dashboard/")
    expect(head.get_by_test_id("tile-on-time").locator("b")).to_have_text("1")
    expect(head.get_by_test_id("tile-late").locator("b")).to_have_text("0")
    shot(head, "06-head-dashboard")


def test_executor_cannot_open_another_departments_case_by_url(people: Any, shot: Any) -> None:
    from playwright.sync_api import expect

    from otklik.cases import actions

    org = make_org()
    message = make_message(org, "Школьный автобус не пришёл", external_id="2001")
    curator = org.actor("curator")
    case = actions.case_detect(message=message, actor=curator)
    actions.case_route(case=case, actor=curator, targets=[actions.RouteTarget(department_id=org.depts["edu"].pk)])

    page = people.page("gz-zhkh")
    response = page.goto(f"/cases/{case.pk}/")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Не найдено")
    expect(page.locator("body")).not_to_contain_text("Школьный автобус")
    shot(page, "07-executor-404")
    own = people.page("gz-edu")
    response = own.goto(f"/cases/{case.pk}/")
    assert response is not None and response.status == 200
    expect(own.get_by_test_id("case-message")).to_contain_text("Школьный автобус")


def test_markup_in_a_message_is_shown_as_text(people: Any, shot: Any) -> None:
    from playwright.sync_api import expect

    org = make_org()
    hostile = '<script>window.__xss = 1</script><b>жирный</b><img src=x onerror="window.__xss = 2">'
    message = make_message(org, hostile, external_id="3001", author="<i>Автор</i>")

    page = people.page("gz-curator")
    item = page.get_by_test_id("message").first
    expect(item).to_contain_text("<script>window.__xss = 1</script>")
    expect(item).to_contain_text("<i>Автор</i>")
    assert page.evaluate("window.__xss") is None
    assert item.locator("b, img, i, script").count() == 0
    page.goto(f"/inbox/{message.pk}/")
    expect(page.get_by_test_id("message-text")).to_contain_text("<b>жирный</b>")
    assert page.evaluate("window.__xss") is None
    shot(page, "08-markup-as-text")


def test_preview_shows_typed_markup_as_text(people: Any) -> None:
    from playwright.sync_api import expect

    from otklik.cases import actions

    org = make_org()
    message = make_message(org, "Нет света", external_id="4001")
    curator = org.actor("curator")
    case = actions.case_detect(message=message, actor=curator)
    actions.case_route(case=case, actor=curator, targets=[actions.RouteTarget(department_id=org.depts["zhkh"].pk)])
    page = people.page("gz-zhkh")
    page.goto(f"/cases/{case.pk}/")
    page.get_by_test_id("draft-text").fill('<img src=x onerror="window.__xss = 3">Ответ')
    expect(page.get_by_test_id("preview")).to_have_text('<img src=x onerror="window.__xss = 3">Ответ')
    assert page.get_by_test_id("preview").locator("img").count() == 0
    assert page.evaluate("window.__xss") is None


def test_forms_work_without_javascript(people: Any) -> None:
    from playwright.sync_api import expect

    from otklik.inbox.models import Message

    org = make_org()
    message = make_message(org, "Спасибо за расчищенную дорогу!", external_id="5001")
    page = people.page("gz-curator", java_script_enabled=False)
    expect(page.get_by_test_id("message")).to_contain_text("Спасибо")
    # the bulk bar is a plain form: tick, choose, give the reason, apply
    page.get_by_test_id(f"check-{message.pk}").check()
    page.get_by_test_id("bulk-action").select_option("dismiss")
    page.get_by_test_id("bulk-reason").fill("благодарность")
    page.get_by_test_id("bulk-apply").click()
    expect(page.locator(".flash")).to_contain_text("не требующее реагирования: 1")
    message.refresh_from_db()
    assert message.status == Message.Status.DISMISSED and message.dismiss_reason == "благодарность"
    # and undone from the dismissed list, still without a script
    page.goto("/inbox/dismissed/")
    page.get_by_test_id(f"undo-{message.pk}").click()
    expect(page.locator(".flash")).to_contain_text("снова во входящих")
    message.refresh_from_db()
    assert message.status == Message.Status.NEW
