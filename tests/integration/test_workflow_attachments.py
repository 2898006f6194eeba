"""П.18: photo and video attachments to a draft — type by content, size, state and rights."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from otklik.cases import actions
from otklik.cases.models import Attachment
from otklik.core.errors import IllegalTransition, NotFound, ValidationFailed
from otklik.domain.messages import IncomingMessage
from otklik.inbox.actions import message_ingest_batch, source_for
from otklik.inbox.models import Message, Source
from tests import media
from tests.conftest import chita

pytestmark = pytest.mark.django_db

JPEG = media.jpeg()
MP4 = media.mp4()


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def _case_in_work(org: Any) -> Any:
    source = source_for(org.adm, Source.Kind.API, network="vk")
    result = message_ingest_batch(
        source=source, items=[IncomingMessage(network="vk", external_id="att-1", text="Яма на дороге")]
    )
    message = Message.objects.get(pk=result.created[0])
    t = chita(2026, 12, 7, 10, 0)
    case = actions.case_detect(message=message, actor=org.actor("curator"), now=t)
    actions.case_route(
        case=case, actor=org.actor("curator"), targets=[actions.RouteTarget(org.depts["roads"].pk)], now=t
    )
    actions.case_accept(case=case, actor=org.actor("roads"), now=t)
    return case


def test_a_photo_and_a_video_attach_to_the_draft_that_names_them(org: Any) -> None:
    case = _case_in_work(org)
    photo = actions.case_attach_file(case=case, actor=org.actor("roads"), upload=SimpleUploadedFile("яма.jpg", JPEG))
    video = actions.case_attach_file(case=case, actor=org.actor("roads"), upload=SimpleUploadedFile("v.mp4", MP4))
    assert (photo.content_type, video.content_type) == ("image/jpeg", "video/mp4")
    draft = actions.case_submit_draft(
        case=case, actor=org.actor("roads"), kind="answer", text="Яму засыпали", attachment_ids=[photo.pk, video.pk]
    )
    assert set(Attachment.objects.filter(draft=draft).values_list("pk", flat=True)) == {photo.pk, video.pk}


def test_the_type_is_judged_by_content_not_by_the_name(org: Any) -> None:
    case = _case_in_work(org)
    with pytest.raises(ValidationFailed) as info:
        actions.case_attach_file(
            case=case, actor=org.actor("roads"), upload=SimpleUploadedFile("x.jpg", b"MZ\x90\x00exe")
        )
    assert info.value.field == "file"
    assert not Attachment.objects.exists()


def test_a_file_over_the_limit_is_refused(org: Any) -> None:
    case = _case_in_work(org)
    big = SimpleUploadedFile("big.jpg", JPEG + b"\x00" * (10 * 1024 * 1024))  # sized before it is decoded
    with pytest.raises(ValidationFailed, match="МБ"):
        actions.case_attach_file(case=case, actor=org.actor("roads"), upload=big)


def test_another_departments_executor_cannot_attach(org: Any) -> None:
    case = _case_in_work(org)
    with pytest.raises(NotFound):
        actions.case_attach_file(case=case, actor=org.actor("edu"), upload=SimpleUploadedFile("a.jpg", JPEG))


def test_a_closed_case_takes_no_attachments(org: Any) -> None:
    case = _case_in_work(org)
    t = chita(2026, 12, 7, 11, 0)
    actions.case_submit_draft(case=case, actor=org.actor("roads"), kind="answer", text="Готово", now=t)
    actions.case_approve(case=case, actor=org.actor("curator"), now=t)
    actions.case_publish(case=case, actor=org.actor("roads"), url="https://vk.com/wall-1_1?reply=2", now=t)
    with pytest.raises(IllegalTransition, match="закрыто"):
        actions.case_attach_file(case=case, actor=org.actor("roads"), upload=SimpleUploadedFile("a.jpg", JPEG))
