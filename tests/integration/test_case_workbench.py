"""The case page as a workbench (issue 13 §1, 5–8): nothing typed is lost, the curator edits before
approving, removed photos are never published, templates and earlier answers, multi-department
parts, link-only manual publication and connector errors in words. Through Django's test client
and the actions; the browser side is in tests/e2e/test_e2e_case_workbench.py."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from otklik.cases import actions
from otklik.cases.models import AnswerTemplate, Attachment, Case, CaseEvent, Draft, DraftAutosave, Publication
from otklik.cases.publishing import publish
from otklik.core.errors import IllegalTransition
from tests import media
from tests.integration import test_publication as publication_tests
from tests.integration.test_web_views import login, messages_of, routed_case

pytestmark = pytest.mark.django_db

# The connectors' fakes of the publication tests (pytest fixtures, shared by name).
vk = publication_tests.vk
sleeps = publication_tests.sleeps
polled, vk_source = publication_tests.polled, publication_tests.vk_source


def page(client: Client, case: Case) -> str:
    response = client.get(reverse("web:case", args=[case.pk]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def accepted(org: Any, *depts: str) -> Case:
    case = routed_case(org, *depts)
    actions.case_accept(case=case, actor=org.actor(depts[-1] if depts else "zhkh"))
    return case


def in_review(org: Any, text: str = "Трубу на ул. Ленина заменим до пятницы.", *, with_photo: bool = False) -> Case:
    case = accepted(org, "zhkh")
    ids = []
    if with_photo:
        photo = actions.case_attach_file(
            case=case, actor=org.actor("zhkh"), upload=SimpleUploadedFile("truba.jpg", media.jpeg())
        )
        ids = [photo.pk]
    actions.case_submit_draft(case=case, actor=org.actor("zhkh"), kind="answer", text=text, attachment_ids=ids)
    return case


# ---- §1 nothing typed is lost ---------------------------------------------------------------------


def test_a_too_long_answer_keeps_the_typed_text_not_the_previous_version(client: Client, org: Any) -> None:
    case = accepted(org, "zhkh")
    login(client, org, "zhkh")
    typed = "Слишком длинный ответ. " * 300  # over 4096 (OK)
    response = client.post(reverse("web:case_draft", args=[case.pk]), {"kind": "answer", "text": typed}, follow=True)
    assert any("длиннее" in m for m in messages_of(response))
    assert not Draft.objects.filter(case=case).exists()
    assert typed.strip() in html.unescape(response.content.decode())


def test_an_upload_keeps_the_typed_text_whether_it_is_accepted_or_refused(
    client: Client, org: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    case = accepted(org, "zhkh")
    login(client, org, "zhkh")
    typed = "Уважаемый житель! Бригада выехала, " + "подробности ниже. " * 16  # ~319 characters
    bad = SimpleUploadedFile("virus.jpg", b"MZ\x90\x00 not a picture", content_type="image/jpeg")
    response = client.post(reverse("web:case_upload", args=[case.pk]), {"text": typed, "file": bad}, follow=True)
    assert messages_of(response) and "загружен" not in " ".join(messages_of(response))
    assert typed in page(client, case)
    good = SimpleUploadedFile("truba.jpg", media.jpeg(), content_type="image/jpeg")
    response = client.post(
        reverse("web:case_upload", args=[case.pk]), {"text": typed + " Ещё.", "file": good}, follow=True
    )
    assert any("загружен" in m for m in messages_of(response))
    body = page(client, case)
    assert typed + " Ещё." in body and "truba.jpg" in body
    assert Attachment.objects.get(case=case).uploaded_by == org.users["zhkh"]


def test_upload_in_place_answers_json_with_the_attachment_card(
    client: Client, org: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    case = accepted(org, "zhkh")
    login(client, org, "zhkh")
    url = reverse("web:case_upload", args=[case.pk])
    good = SimpleUploadedFile("truba.jpg", media.jpeg(), content_type="image/jpeg")
    response = client.post(url, {"text": "Черновик", "file": good}, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200
    data = response.json()
    assert "truba.jpg" in data["html"] and 'name="attachment_ids"' in data["html"]
    bad = SimpleUploadedFile("big.exe.jpg", b"MZ" + b"\0" * 100, content_type="image/jpeg")
    response = client.post(url, {"text": "Черновик", "file": bad}, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 400 and response.json()["errors"]
    assert DraftAutosave.objects.get(case=case, user=org.users["zhkh"]).text == "Черновик"


def test_autosave_is_restored_per_person_and_cleared_when_the_draft_is_sent(client: Client, org: Any) -> None:
    case = accepted(org, "zhkh")
    login(client, org, "zhkh")
    response = client.post(
        reverse("web:case_autosave", args=[case.pk]),
        {"text": "Набранный, но не отправленный ответ", "measures_taken": "Заявка в РЭС"},
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 200 and "Черновик сохранён" in response.json()["message"]
    assert "Набранный, но не отправленный ответ" in page(client, case)
    other = Client()
    login(other, org, "zhkh2")  # the same department, another person: not shown
    assert "Набранный, но не отправленный ответ" not in page(other, case)
    client.post(reverse("web:case_draft", args=[case.pk]), {"kind": "answer", "text": "Готовый ответ"})
    assert not DraftAutosave.objects.filter(case=case).exists()
    assert Draft.objects.get(case=case).text == "Готовый ответ"


def test_autosave_is_refused_to_another_department(client: Client, org: Any) -> None:
    case = accepted(org, "zhkh")
    login(client, org, "edu")
    response = client.post(reverse("web:case_autosave", args=[case.pk]), {"text": "x"})
    assert response.status_code == 404
    assert not DraftAutosave.objects.exists()


def test_one_form_importance_set_before_routing_is_saved(client: Client, org: Any) -> None:
    from otklik.inbox.models import Message

    from .test_web_views import make_message

    message: Message = make_message(org)
    case = actions.case_detect(message=message, actor=org.actor("curator"))
    login(client, org, "curator")
    data = {
        "importance": "high",
        "place": org.places["gz"].pk,
        "topics": [org.topics["zhkh"].pk],
        "departments": [org.depts["zhkh"].pk],
        "comment": "",
    }
    response = client.post(reverse("web:case_route", args=[case.pk]), data, follow=True)
    assert any("направлено" in m for m in messages_of(response))
    case.refresh_from_db()
    assert case.importance == "high" and case.place == org.places["gz"] and case.state == "routed"


def test_routing_with_no_department_is_refused_and_nothing_changes(client: Client, org: Any) -> None:
    from .test_web_views import make_message

    case = actions.case_detect(message=make_message(org), actor=org.actor("curator"))
    login(client, org, "curator")
    response = client.post(reverse("web:case_route", args=[case.pk]), {"importance": "high"}, follow=True)
    assert any("хотя бы одно подразделение" in m for m in messages_of(response))
    case.refresh_from_db()
    assert case.state == "triage" and case.importance != "high"


# ---- §5 approval that fits ----------------------------------------------------------------------


def test_the_curator_fixes_a_typo_and_approves_a_new_version_the_executor_sees_the_difference(
    client: Client, org: Any
) -> None:
    case = in_review(org, "Трубу на ул. Ленина заменим до пятнцы.")
    login(client, org, "curator")
    review = Draft.objects.get(case=case)
    response = client.post(
        reverse("web:case_approve", args=[case.pk]),
        {"draft_id": review.pk, "text": "Трубу на ул. Ленина заменим до пятницы.\r\n", "comment": ""},
        follow=True,
    )
    assert any("с вашей правкой" in m for m in messages_of(response))
    review.refresh_from_db()
    edited = Draft.objects.get(case=case, based_on=review)
    assert review.status == Draft.Status.SUPERSEDED and edited.status == Draft.Status.APPROVED
    assert edited.author == org.users["curator"] and edited.version == 2
    assert edited.text == "Трубу на ул. Ленина заменим до пятницы."
    event = CaseEvent.objects.filter(case=case, action="approve").get()
    assert event.actor == org.users["curator"] and event.payload["edited"] is True
    case.refresh_from_db()
    assert case.state == "approved"
    executor = Client()
    login(executor, org, "zhkh")
    body = page(executor, case)
    assert "Что куратор изменил в ред. 1" in body
    assert "<del>пятнцы.</del>" in body and "<ins>пятницы.</ins>" in body
    compare = executor.get(reverse("web:case", args=[case.pk]), {"a": review.pk, "b": edited.pk})
    assert 'data-testid="compare"' in compare.content.decode()


def test_approving_unchanged_text_with_browser_line_breaks_is_not_an_edit(client: Client, org: Any) -> None:
    case = in_review(org, "Первая строка.\nВторая строка.")
    login(client, org, "curator")
    draft = Draft.objects.get(case=case)
    client.post(
        reverse("web:case_approve", args=[case.pk]), {"draft_id": draft.pk, "text": draft.text.replace("\n", "\r\n")}
    )
    assert list(Draft.objects.filter(case=case).values_list("status", flat=True)) == ["approved"]


def test_an_edit_too_long_is_refused_and_the_draft_stays_in_review(client: Client, org: Any) -> None:
    case = in_review(org)
    login(client, org, "curator")
    draft = Draft.objects.get(case=case)
    response = client.post(
        reverse("web:case_approve", args=[case.pk]), {"draft_id": draft.pk, "text": "x" * 5000}, follow=True
    )
    assert any("длиннее" in m for m in messages_of(response))
    draft.refresh_from_db()
    assert draft.status == Draft.Status.REVIEW and Draft.objects.filter(case=case).count() == 1


def test_photos_show_as_thumbnails_through_the_protected_view(
    client: Client, org: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    case = in_review(org, with_photo=True)
    login(client, org, "curator")
    attachment = Attachment.objects.get(case=case)
    url = reverse("web:attachment", args=[case.pk, attachment.pk])
    body = page(client, case)
    assert f'<img src="{url}"' in body
    review_page = client.get(reverse("web:review")).content.decode()
    assert f'<img src="{url}"' in review_page and '<textarea name="comment"' in review_page
    assert client.get(url).status_code == 200
    outsider = Client()
    login(outsider, org, "edu")
    assert outsider.get(url).status_code == 404


def test_rework_removes_a_photo_and_it_is_never_published(
    org: Any, vk: Any, sleeps: Any, settings: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """«Уберите фото»: the curator removes it when returning the draft; the reworked version does
    not carry it, and the connector publishes the answer without it."""
    from .test_publication import _case_with_media

    settings.MEDIA_ROOT = tmp_path
    message = polled(vk_source(org, vk), "wall-100001_1_c2")
    case = _case_with_media(org, message, "Дорогу отремонтировали, фото и видео прилагаем.")
    first = Draft.objects.get(case=case)
    photo = Attachment.objects.get(case=case, original_name="yama.jpg")
    actions.case_return_draft(
        case=case,
        actor=org.actor("curator"),
        comment="Уберите фото\nи оставьте видео",
        remove_attachment_ids=[photo.pk],
    )
    photo.refresh_from_db()
    assert photo.removed_at is not None and photo.removed_by == org.users["curator"]
    event = CaseEvent.objects.filter(case=case, action="return_draft").get()
    assert event.payload["removed_attachments"] == ["yama.jpg"]
    second = actions.case_resubmit(case=case, actor=org.actor("roads"), text="Дорогу отремонтировали, видео прилагаем.")
    assert [a.original_name for a in second.attachments.all()] == ["remont.mp4"]
    assert first.attachments.get().pk == photo.pk  # the record stays with the version it was on
    with django_capture_on_commit_callbacks(execute=True):
        actions.case_approve(case=case, actor=org.actor("curator"))
    assert Publication.objects.get(case=case).status == Publication.Status.PUBLISHED
    assert publish(Publication.objects.get(case=case).pk).status == Publication.Status.PUBLISHED  # never twice
    (comment,) = vk.created_comments()
    assert [a["type"] for a in comment.attachments] == ["video"]


def test_the_curator_removes_a_photo_while_approving_and_it_is_not_published(
    org: Any, vk: Any, sleeps: Any, settings: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from .test_publication import _case_with_media

    settings.MEDIA_ROOT = tmp_path
    message = polled(vk_source(org, vk), "wall-100001_1_c2")
    case = _case_with_media(org, message, "Дорогу отремонтировали.")
    photo = Attachment.objects.get(case=case, original_name="yama.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        approved = actions.case_approve(case=case, actor=org.actor("curator"), remove_attachment_ids=[photo.pk])
    assert approved.based_on is not None and [a.original_name for a in approved.attachments.all()] == ["remont.mp4"]
    (comment,) = vk.created_comments()
    assert [a["type"] for a in comment.attachments] == ["video"]


def test_an_executor_removes_a_loose_file_but_not_one_under_review(
    client: Client, org: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    case = accepted(org, "zhkh")
    loose = actions.case_attach_file(
        case=case, actor=org.actor("zhkh"), upload=SimpleUploadedFile("a.jpg", media.jpeg())
    )
    login(client, org, "zhkh")
    response = client.post(
        reverse("web:case_remove_attachment", args=[case.pk, loose.pk]), {"text": "Текст"}, follow=True
    )
    assert any("убран" in m for m in messages_of(response))
    loose.refresh_from_db()
    assert loose.removed_by == org.users["zhkh"]
    assert "Текст" in page(client, case)  # the typed text is kept
    second = actions.case_attach_file(
        case=case, actor=org.actor("zhkh"), upload=SimpleUploadedFile("b.jpg", media.jpeg())
    )
    with pytest.raises(Exception, match="не найдено"):
        actions.case_submit_draft(
            case=case, actor=org.actor("zhkh"), kind="answer", text="x", attachment_ids=[loose.pk]
        )
    actions.case_submit_draft(case=case, actor=org.actor("zhkh"), kind="answer", text="x", attachment_ids=[second.pk])
    with pytest.raises(IllegalTransition, match="куратор"):
        actions.case_remove_attachment(case=case, actor=org.actor("zhkh"), attachment_id=second.pk)


# ---- §6 templates and earlier answers -------------------------------------------------------------


def test_the_administration_keeps_templates_with_placeholders_filled_in_the_editor(client: Client, org: Any) -> None:
    login(client, org, "admin")
    url = reverse("web:answer_template_new")
    bad = {"title": "Вода", "text": "Ремонт в {мсто} — {номер}.", "topic": org.topics["zhkh"].pk, "is_active": "on"}
    response = client.post(url, bad)
    assert response.status_code == 400
    body = html.unescape(response.content.decode())
    assert "Неизвестные подстановки: {мсто}" in body and "Ремонт в {мсто} — {номер}." in body  # nothing lost
    good = {**bad, "text": "По обращению № {номер} ({место}): бригада выехала {дата}."}
    assert client.post(url, good).status_code == 302
    template = AnswerTemplate.objects.get()
    assert template.updated_by == org.users["admin"] and template.administration == org.adm
    assert "Вода" in client.get(reverse("web:answer_templates")).content.decode()
    AnswerTemplate.objects.create(
        administration=org.adm, title="Образование", text="Школа", topic=org.topics["education"]
    )

    case = accepted(org, "zhkh")
    Case.objects.filter(pk=case.pk).update(place=org.places["gz"])
    case.topics.set([org.topics["zhkh"]])
    executor = Client()
    login(executor, org, "zhkh")
    body = page(executor, case)
    assert f"По обращению № {case.number} (Газимурский Завод): бригада выехала" in body
    assert "Образование" not in body.split('data-testid="templates"')[1].split("</select>")[0]
    # Without the script: «Вставить в ответ» keeps what was typed and adds the template after it.
    executor.post(
        reverse("web:case_use_template", args=[case.pk]), {"template_id": template.pk, "text": "Здравствуйте!"}
    )
    saved = DraftAutosave.objects.get(case=case, user=org.users["zhkh"])
    assert saved.text.startswith("Здравствуйте!\n\nПо обращению №")


def test_templates_page_is_for_the_administration_only(client: Client, org: Any) -> None:
    login(client, org, "zhkh")
    assert client.get(reverse("web:answer_templates")).status_code == 403


def test_an_earlier_approved_answer_on_a_similar_case_is_suggested(client: Client, org: Any) -> None:
    earlier = in_review(org, "Воду на ул. Ленина дадут к вечеру, бригада работает.")
    earlier.topics.set([org.topics["zhkh"]])
    actions.case_approve(case=earlier, actor=org.actor("curator"))
    case = accepted(org, "zhkh")
    case.topics.set([org.topics["zhkh"]])
    login(client, org, "zhkh")
    body = page(client, case)
    assert "Ответы на похожие обращения" in body and f"№ {earlier.number}" in body


# ---- §7 multi-department ------------------------------------------------------------------------


def test_each_department_sees_its_part_the_order_and_what_the_lead_waits_for(client: Client, org: Any) -> None:
    case = routed_case(org, "roads", "zhkh")  # roads first, ЖКХ drafts the joint answer
    login(client, org, "zhkh")
    body = page(client, case)
    assert 'data-testid="parts"' in body
    waiting = body.split('data-testid="waiting-for">')[1].split("</div>")[0]
    assert "Ждёт информацию от:" in waiting and str(org.depts["roads"]) in waiting
    roads = Client()
    login(roads, org, "roads")
    assert f"Общий ответ готовит «{org.depts['zhkh']}» и ждёт вашу информацию." in page(roads, case)
    actions.case_contribute(case=case, actor=org.actor("roads"), text="Отсыплем дорогу до пятницы.")
    assert "Информация всех подразделений получена." in page(client, case)


# ---- §8 publishing -------------------------------------------------------------------------------


def test_manual_publication_needs_only_the_link_and_the_id_is_derived(client: Client, org: Any) -> None:
    case = in_review(org)
    actions.case_approve(case=case, actor=org.actor("curator"))
    login(client, org, "zhkh")
    body = page(client, case)
    assert 'data-testid="answer-text"' in body and "Копировать текст" in body
    assert 'name="external_id"' not in body
    url = reverse("web:case_publish", args=[case.pk])
    response = client.post(url, {"url": "https://vk.com/wall-1_2"}, follow=True)
    assert any("ту же сеть" in m for m in messages_of(response))  # an OK case, a VK link
    response = client.post(url, {"url": "https://ok.ru/group/70000000000001/topic/155?commentId=987"}, follow=True)
    assert any("Размещение ответа записано" in m for m in messages_of(response))
    draft = Draft.objects.get(case=case)
    assert draft.published_external_id == "topic:155:c987" and draft.status == Draft.Status.PUBLISHED


def test_a_failed_automatic_publication_is_explained_and_files_to_attach_by_hand_listed(
    client: Client, org: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    case = in_review(org, with_photo=True)
    draft = Draft.objects.get(case=case)
    Case.objects.filter(pk=case.pk).update(network="telegram")
    case.refresh_from_db()
    actions.case_approve(case=case, actor=org.actor("curator"))
    draft.refresh_from_db()
    pub, _ = Publication.objects.get_or_create(draft=draft, case=case, defaults={"guid": "g1"})
    actions.case_publication_failed(publication=pub, error="[Errno 111] Connection refused")
    login(client, org, "zhkh")
    body = page(client, case)
    assert "Errno" not in body
    assert "Сервер сети недоступен" in body
    assert 'data-testid="attach-by-hand"' in body and "truba.jpg" in body


def test_a_stale_autosave_does_not_hide_the_returned_draft(client: Client, org: Any) -> None:
    """Typed before a colleague sent the draft: in rework the editor starts from the returned text."""
    import datetime as dt

    from django.utils import timezone

    case = accepted(org, "zhkh")
    DraftAutosave.objects.create(
        case=case, user=org.users["zhkh"], text="старый набросок", saved_at=timezone.now() - dt.timedelta(hours=1)
    )
    actions.case_submit_draft(case=case, actor=org.actor("zhkh2"), kind="answer", text="Ответ коллеги.")
    actions.case_return_draft(case=case, actor=org.actor("curator"), comment="Добавьте срок.")
    login(client, org, "zhkh")
    body = page(client, case)
    assert "старый набросок" not in body and ">Ответ коллеги.</textarea>" in body


def test_one_form_at_review_importance_changed_with_the_approval_is_saved(client: Client, org: Any) -> None:
    case = in_review(org)
    login(client, org, "curator")
    body = page(client, case)
    assert 'data-testid="review-triage"' in body
    draft = Draft.objects.get(case=case)
    unchanged = {"draft_id": draft.pk, "text": draft.text, "importance": case.importance, "comment": ""}
    triage_events = CaseEvent.objects.filter(case=case, action="triage").count()
    client.post(reverse("web:case_return_draft", args=[case.pk]), {**unchanged, "importance": "high"})
    case.refresh_from_db()
    assert case.state == "review" and case.importance != "high"  # no remarks: nothing is written
    client.post(reverse("web:case_approve", args=[case.pk]), {**unchanged, "importance": "high"})
    case.refresh_from_db()
    assert case.importance == "high" and case.state == "approved"
    assert CaseEvent.objects.filter(case=case, action="triage").count() == triage_events + 1


def test_approving_with_the_triage_unchanged_writes_no_triage_event(client: Client, org: Any) -> None:
    case = in_review(org)
    login(client, org, "curator")
    draft = Draft.objects.get(case=case)
    before = CaseEvent.objects.filter(case=case, action="triage").count()
    client.post(
        reverse("web:case_approve", args=[case.pk]),
        {"draft_id": draft.pk, "text": draft.text, "importance": case.importance, "significant": ""},
    )
    case.refresh_from_db()
    assert case.state == "approved" and CaseEvent.objects.filter(case=case, action="triage").count() == before
