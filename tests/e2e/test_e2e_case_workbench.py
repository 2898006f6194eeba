"""The case page in Chromium (issue 13 §1, 5–8, 10), at 1366×768 and 390×844, with screenshots in
test-artifacts/e2e/: nothing typed is lost (upload in place, a refused file, a reload, a too-long
answer, and without JavaScript), the curator's edit and its word diff, thumbnails, removing a photo
at rework, answer templates, the parts of a multi-department case, link-only publication with
«Копировать текст», and no sideways scrolling on the phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests import media
from tests.conftest import make_org

from .conftest import make_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("e2e")]

SIZES = {
    "desktop": {"viewport": {"width": 1366, "height": 768}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
TYPED = (
    "Уважаемый житель! Аварийная бригада МУП «Водоканал» выехала на ул. Ленина. Повреждённый участок "
    "трубы заменят сегодня до 18:00, после чего подача воды возобновится. На время ремонта на площади "
    "у администрации стоит водовоз, телефон диспетчера 8-30248-2-11-30. Приносим извинения за неудобства и благодарим за сообщение."
)


WIDEST = """(scope) => [...document.querySelectorAll(scope + ' *')]
  .filter(e => e.getBoundingClientRect().right > window.visualViewport.width + 1 && e.getClientRects().length)
  .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def no_sideways_scroll(page: Any, scope: str = "body") -> None:
    """Nothing wider than the screen (a mobile browser widens its layout to the content, so the
    page is measured against the device width, not ``innerWidth``). ``scope="main"`` leaves out the
    header's navigation (issue 13 §10 gives base.html's nav to h13a)."""
    device = page.viewport_size["width"]
    if scope == "body":
        width = page.evaluate("document.documentElement.scrollWidth")
    else:
        width = page.evaluate(
            f"Math.max(...[...document.querySelectorAll('{scope} *')].map(e => e.getBoundingClientRect().right))"
        )
    assert width <= device, f"the page scrolls sideways: {width} > {device}: {page.evaluate(WIDEST, scope)}"


def photo(name: str = "truba.jpg") -> dict[str, Any]:
    return {"name": name, "mimeType": "image/jpeg", "buffer": media.jpeg()}


def routed(org: Any, *depts: str, text: str = "На улице Ленина вторые сутки нет воды. Когда дадут?") -> Any:
    from otklik.cases import actions
    from otklik.inbox.models import Message

    message = make_message(org, text, external_id=f"e2e-{Message.objects.count() + 1}")
    curator = org.actor("curator")
    case = actions.case_detect(message=message, actor=curator)
    return actions.case_route(
        case=case, actor=curator, targets=[actions.RouteTarget(department_id=org.depts[d].pk) for d in depts]
    )


@pytest.fixture
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_nothing_typed_is_lost(people: Any, shot: Any, media_root: Any, size: str) -> None:
    from playwright.sync_api import expect

    from otklik.cases.models import Attachment, Draft

    org = make_org()
    case = routed(org, "zhkh")
    executor = people.page("gz-zhkh", **SIZES[size])
    executor.goto(f"/cases/{case.pk}/")
    executor.get_by_role("button", name="Принять в работу").click()
    expect(executor.locator(".flash")).to_contain_text("принято в работу")
    text = executor.get_by_test_id("draft-text")
    text.fill(TYPED)
    assert len(TYPED) > 300

    # A refused upload (an .exe named .jpg): a clear error, the text stays.
    executor.get_by_test_id("upload-input").set_input_files(
        {"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": b"MZ\x90\x00" + b"\0" * 200}
    )
    executor.get_by_role("button", name="Загрузить").click()
    expect(executor.locator("[data-upload-status]")).to_have_class("muted small error")
    expect(text).to_have_value(TYPED)

    # An accepted upload, in place: a thumbnail appears, the text stays.
    executor.get_by_test_id("upload-input").set_input_files(photo())
    executor.get_by_role("button", name="Загрузить").click()
    expect(executor.locator("[data-upload-status]")).to_contain_text("загружен")
    expect(executor.get_by_test_id("editor-attachments").get_by_test_id("thumb")).to_have_count(1)
    expect(text).to_have_value(TYPED)
    assert Attachment.objects.filter(case=case, original_name="truba.jpg").count() == 1

    # Autosave: a reload brings the text back from the server.
    text.fill(TYPED + " Дополнение.")
    expect(executor.get_by_test_id("autosave-status")).to_contain_text("Черновик сохранён", timeout=10_000)
    executor.evaluate("localStorage.clear()")
    executor.reload()
    expect(executor.get_by_test_id("draft-text")).to_have_value(TYPED + " Дополнение.")
    if size == "phone":
        no_sideways_scroll(executor)
        box = executor.get_by_test_id("draft-text").bounding_box()
        assert box and box["width"] > 300, box
    shot(executor, f"wb-{size}-1-editor-kept")

    # A too-long answer: the error, and the typed (too long) text in the editor, not an older one.
    too_long = TYPED * 20
    executor.get_by_test_id("draft-text").fill(too_long)
    executor.get_by_role("button", name="Направить куратору на согласование").click()
    expect(executor.locator(".flash")).to_contain_text("длиннее")
    expect(executor.get_by_test_id("draft-text")).to_have_value(too_long)
    assert not Draft.objects.filter(case=case).exists()
    shot(executor, f"wb-{size}-2-too-long-kept")

    executor.get_by_test_id("draft-text").fill(TYPED)
    executor.get_by_role("button", name="Направить куратору на согласование").click()
    expect(executor.locator(".flash")).to_contain_text("направлен куратору")
    draft = Draft.objects.get(case=case)
    assert draft.text == TYPED and [a.original_name for a in draft.attachments.all()] == ["truba.jpg"]


def test_without_javascript_an_upload_keeps_the_draft_text(people: Any, shot: Any, media_root: Any) -> None:
    from playwright.sync_api import expect

    org = make_org()
    case = routed(org, "zhkh")
    executor = people.page("gz-zhkh", java_script_enabled=False, **SIZES["desktop"])
    executor.goto(f"/cases/{case.pk}/")
    executor.get_by_role("button", name="Принять в работу").click()
    expect(executor.locator(".flash")).to_contain_text("принято в работу")
    executor.get_by_test_id("draft-text").fill(TYPED)
    executor.get_by_test_id("upload-input").set_input_files(photo())
    executor.get_by_role("button", name="Загрузить").click()
    expect(executor.locator(".flash")).to_contain_text("загружен")
    expect(executor.get_by_test_id("draft-text")).to_have_value(TYPED)
    expect(executor.get_by_test_id("editor-attachments")).to_contain_text("truba.jpg")
    executor.get_by_role("button", name="Убрать").click()
    expect(executor.locator(".flash")).to_contain_text("убран из ответа")
    expect(executor.get_by_test_id("draft-text")).to_have_value(TYPED)
    shot(executor, "wb-nojs-upload-kept")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_curator_edits_before_approving_and_the_executor_sees_the_difference(
    people: Any, shot: Any, media_root: Any, size: str
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from playwright.sync_api import expect

    from otklik.cases import actions
    from otklik.cases.models import Draft

    org = make_org()
    case = routed(org, "zhkh")
    zhkh = org.actor("zhkh")
    actions.case_accept(case=case, actor=zhkh)
    pic = actions.case_attach_file(case=case, actor=zhkh, upload=SimpleUploadedFile("truba.jpg", media.jpeg()))
    actions.case_submit_draft(
        case=case,
        actor=zhkh,
        kind="answer",
        text="Трубу заменим до пятнцы, воду дадим вечером.",
        attachment_ids=[pic.pk],
    )

    curator = people.page("gz-curator", **SIZES[size])
    curator.goto("/review/")
    expect(curator.get_by_test_id("review-item").get_by_test_id("thumb")).to_be_visible()
    remark = curator.locator("textarea[name=comment]").first
    box = remark.bounding_box()
    assert box and box["height"] > 40, box  # multi-line remarks
    if size == "phone":
        no_sideways_scroll(curator, "main")  # the curator's many nav links are h13a's
        assert box["width"] > 300, box
    shot(curator, f"wb-{size}-3-review-queue")
    curator.get_by_test_id("edit-link").click()
    review = curator.get_by_test_id("review-panel")
    review.get_by_test_id("review-text").fill("Трубу заменим до пятницы, воду дадим вечером.")
    shot(curator, f"wb-{size}-4-curator-edit")
    review.get_by_role("button", name="Согласовать").click()
    expect(curator.locator(".flash")).to_contain_text("с вашей правкой")
    edited = Draft.objects.get(case=case, status="approved")
    assert edited.author == org.users["curator"] and edited.based_on is not None

    executor = people.page("gz-zhkh", **SIZES[size])
    executor.goto(f"/cases/{case.pk}/")
    diff = executor.get_by_test_id("draft-diff").first
    expect(diff.locator("del")).to_have_text("пятнцы,")
    expect(diff.locator("ins")).to_have_text("пятницы,")
    expect(executor.get_by_test_id("publish-panel").get_by_test_id("thumb")).to_be_visible()
    shot(executor, f"wb-{size}-5-executor-diff")
    diff.get_by_test_id("compare-link").click()
    expect(executor.get_by_test_id("compare")).to_be_visible()
    if size == "phone":
        no_sideways_scroll(executor)
    shot(executor, f"wb-{size}-6-compare")

    # Manual publication (OK cannot be published by the system): copy the text, give only the link.
    panel = executor.get_by_test_id("publish-panel")
    expect(panel.get_by_test_id("attach-by-hand")).to_contain_text("truba.jpg")
    copy = panel.get_by_test_id("copy-text")
    expect(copy).to_be_visible()
    copy.click()
    expect(panel.locator("[data-copy-status]")).to_contain_text("скопирован")
    expect(panel.locator("input[name=external_id]")).to_have_count(0)
    panel.locator("input[name=url]").fill("https://ok.ru/group/70000000000001/topic/155?commentId=42")
    shot(executor, f"wb-{size}-7-publish")
    panel.get_by_role("button", name="Ответ размещён").click()
    expect(executor.locator(".flash")).to_contain_text("Размещение ответа записано")
    edited.refresh_from_db()
    assert edited.published_external_id == "topic:155:c42"


def test_rework_removes_a_photo(people: Any, shot: Any, media_root: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from playwright.sync_api import expect

    from otklik.cases import actions
    from otklik.cases.models import Attachment, Draft

    org = make_org()
    case = routed(org, "zhkh")
    zhkh = org.actor("zhkh")
    actions.case_accept(case=case, actor=zhkh)
    pic = actions.case_attach_file(case=case, actor=zhkh, upload=SimpleUploadedFile("lishnee.jpg", media.jpeg()))
    actions.case_submit_draft(case=case, actor=zhkh, kind="answer", text="Воду дадим вечером.", attachment_ids=[pic.pk])

    curator = people.page("gz-curator", **SIZES["desktop"])
    curator.goto(f"/cases/{case.pk}/")
    review = curator.get_by_test_id("review-panel")
    review.get_by_test_id("remove-attachment").check()
    review.get_by_test_id("review-comment-input").fill("Уберите фото:\nна нём видны номера машин.")
    review.get_by_role("button", name="Вернуть на доработку").click()
    expect(curator.locator(".flash")).to_contain_text("возвращён на доработку")

    executor = people.page("gz-zhkh", **SIZES["phone"])
    executor.goto(f"/cases/{case.pk}/")
    panel = executor.get_by_test_id("resubmit-panel")
    expect(panel).to_contain_text("Куратор убрал из ответа: lishnee.jpg")
    expect(panel.get_by_test_id("editor-attachments").get_by_test_id("attachment")).to_have_count(0)
    no_sideways_scroll(executor)
    shot(executor, "wb-phone-8-rework-photo-removed")
    panel.get_by_role("button", name="Направить доработанный проект").click()
    expect(executor.locator(".flash")).to_contain_text("Доработанный проект направлен")
    assert not Draft.objects.get(case=case, status="review").attachments.exists()
    assert Attachment.objects.get(pk=pic.pk).removed_at is not None


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_templates_and_multi_department_parts(people: Any, shot: Any, size: str) -> None:
    from playwright.sync_api import expect

    org = make_org()
    admin = people.page("gz-admin", **SIZES[size])
    admin.goto("/settings/answer-templates/new/")
    form = admin.get_by_test_id("template-form")
    form.locator("input[name=title]").fill("Отключение воды")
    form.locator("textarea[name=text]").fill("По обращению № {номер}: воду в {мсто} дадут сегодня.")
    form.get_by_role("button", name="Сохранить").click()
    expect(admin.locator(".error")).to_contain_text("Неизвестные подстановки: {мсто}")
    expect(admin.locator("textarea[name=text]")).to_have_value("По обращению № {номер}: воду в {мсто} дадут сегодня.")
    admin.locator("textarea[name=text]").fill("По обращению № {номер}: воду в {место} дадут сегодня.")
    admin.locator("select[name=department]").select_option(label=str(org.depts["zhkh"]))
    admin.get_by_role("button", name="Сохранить").click()
    expect(admin.get_by_test_id("answer-templates")).to_contain_text("Отключение воды")
    shot(admin, f"wb-{size}-9-templates")

    from otklik.cases import actions
    from otklik.cases.models import Case

    earlier = routed(org, "zhkh", text="На Ленина нет воды третий день")
    actions.case_accept(case=earlier, actor=org.actor("zhkh"))
    actions.case_submit_draft(case=earlier, actor=org.actor("zhkh"), kind="answer", text="Воду дали, трубу заменили.")
    actions.case_approve(case=earlier, actor=org.actor("curator"))
    case = routed(org, "roads", "zhkh")
    Case.objects.filter(pk__in=[case.pk, earlier.pk]).update(place=org.places["gz"])
    roads = people.page("gz-roads", **SIZES[size])
    roads.goto(f"/cases/{case.pk}/")
    parts = roads.get_by_test_id("parts")
    expect(parts.get_by_test_id("part")).to_have_count(2)
    expect(parts).to_contain_text("ждёт вашу информацию")
    shot(roads, f"wb-{size}-10-parts-roads")

    zhkh = people.page("gz-zhkh", **SIZES[size])
    zhkh.goto(f"/cases/{case.pk}/")
    expect(zhkh.get_by_test_id("waiting-for")).to_contain_text(str(org.depts["roads"]))
    zhkh.get_by_role("button", name="Принять в работу").click()
    expect(zhkh.locator(".flash")).to_contain_text("принято в работу")
    zhkh.get_by_test_id("draft-text").fill("Здравствуйте!")
    expect(zhkh.get_by_test_id("suggestions")).to_contain_text("Воду дали, трубу заменили.")
    zhkh.get_by_test_id("template-select").select_option(label="Отключение воды")
    zhkh.get_by_role("button", name="Вставить в ответ").click()
    expect(zhkh.get_by_test_id("draft-text")).to_have_value(
        f"Здравствуйте!\n\nПо обращению № {case.number}: воду в Газимурский Завод дадут сегодня."
    )
    if size == "phone":
        no_sideways_scroll(zhkh)
    shot(zhkh, f"wb-{size}-11-template-inserted")


def test_my_cases_fit_a_phone(people: Any, shot: Any) -> None:
    from playwright.sync_api import expect

    org = make_org()
    for n in range(3):
        routed(org, "zhkh", text=f"Сообщение {n}: на улице Длинноназванной-Перепереулочной {n} нет воды")
    executor = people.page("gz-zhkh", **SIZES["phone"])
    executor.goto("/my/")
    expect(executor.get_by_test_id("case-row")).to_have_count(3)
    no_sideways_scroll(executor)
    shot(executor, "wb-phone-12-my-cases")
    desk = people.page("gz-zhkh", **SIZES["desktop"])
    desk.goto("/my/")
    shot(desk, "wb-desktop-12-my-cases")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_failed_automatic_publication_is_explained_in_words(
    people: Any, shot: Any, media_root: Any, size: str
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from playwright.sync_api import expect

    from otklik.cases import actions
    from otklik.cases.models import Case, Publication

    org = make_org()
    case = routed(org, "zhkh")
    zhkh = org.actor("zhkh")
    actions.case_accept(case=case, actor=zhkh)
    pic = actions.case_attach_file(case=case, actor=zhkh, upload=SimpleUploadedFile("foto.jpg", media.jpeg()))
    draft = actions.case_submit_draft(case=case, actor=zhkh, kind="answer", text="Ответ.", attachment_ids=[pic.pk])
    actions.case_approve(case=case, actor=org.actor("curator"))
    Case.objects.filter(pk=case.pk).update(network="telegram")
    pub, _ = Publication.objects.get_or_create(draft=draft, case=case, defaults={"guid": f"e2e-{size}"})
    actions.case_publication_failed(publication=pub, error="httpx.ConnectError: [Errno 111] Connection refused")

    executor = people.page("gz-zhkh", **SIZES[size])
    executor.goto(f"/cases/{case.pk}/")
    panel = executor.get_by_test_id("publish-panel")
    expect(panel.get_by_test_id("publication-error")).to_contain_text("Сервер сети недоступен")
    expect(executor.locator("main")).not_to_contain_text("Errno")
    expect(panel.get_by_test_id("attach-by-hand")).to_contain_text("foto.jpg")
    if size == "phone":
        no_sideways_scroll(executor)
    shot(executor, f"wb-{size}-13-publication-failed")
