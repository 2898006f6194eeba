"""The publication outbox end to end against the fake VK and Telegram APIs over real HTTP:
approval publishes once, a lost answer is retried without a second post, a refusal goes back to
the executor, Telegram's 429 is waited out and its timeout is never retried."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from otklik.cases import actions
from otklik.cases.actions import RouteTarget
from otklik.cases.models import CaseEvent, Publication
from otklik.cases.publishing import publish
from otklik.cases.tasks import publish_due
from otklik.inbox.models import Message, Source
from otklik.sources import polling
from otklik.sources.telegram.fake import FakeTelegram
from otklik.sources.telegram.fake import seed_demo as seed_telegram
from otklik.sources.vk.fake import FakeVk
from otklik.sources.vk.fake import seed_demo as seed_vk

pytestmark = pytest.mark.django_db


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps(monkeypatch):
    """The publishers built inside publish() record their back-off sleeps instead of sleeping."""
    from otklik.sources import connect

    recorded = Sleeps()
    real = connect.publisher_for_source
    monkeypatch.setattr(connect, "publisher_for_source", lambda source, **kw: real(source, sleep=recorded, **kw))
    return recorded


@pytest.fixture
def vk():
    with FakeVk(token="vk-token") as fake:
        seed_vk(fake)
        yield fake


@pytest.fixture
def telegram():
    with FakeTelegram(token="123:tg") as fake:
        seed_telegram(fake)
        yield fake


def vk_source(org, vk, **config) -> Source:
    return Source.objects.create(
        administration=org.adm,
        name="ВКонтакте",
        kind=Source.Kind.VK,
        network="vk",
        token="vk-token",
        base_url=vk.url + "/method",
        config={"group_ids": [100001], **config},
    )


def tg_source(org, telegram, **config) -> Source:
    return Source.objects.create(
        administration=org.adm,
        name="Telegram",
        kind=Source.Kind.TELEGRAM,
        network="telegram",
        token="123:tg",
        base_url=telegram.url,
        config=config,
    )


def case_in_review(org, message: Message, *, text: str = "Ремонт дороги на Ямкун включён в план на июнь."):
    """Detect, route to roads, accept, submit an answer: the case waits for approval."""
    curator, executor = org.actor("curator"), org.actor("roads")
    case = actions.case_detect(message=message, actor=curator)
    actions.case_route(case=case, actor=curator, targets=[RouteTarget(org.depts["roads"].pk)])
    actions.case_accept(case=case, actor=executor)
    actions.case_submit_draft(case=case, actor=executor, kind="answer", text=text)
    return case


def approve(org, case, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        actions.case_approve(case=case, actor=org.actor("curator"))
    case.refresh_from_db()
    return Publication.objects.get(case=case)


def polled(source: Source, external_id: str) -> Message:
    result = polling.poll_source(source)
    assert result.ok, result.error
    return Message.objects.get(source=source, external_id=external_id)


def test_approved_vk_answer_is_published_once_and_closes_the_case(org, vk, sleeps, django_capture_on_commit_callbacks):
    source = vk_source(org, vk)
    message = polled(source, "wall-100001_1_c2")  # «Когда починят дорогу на Ямкун?»
    case = case_in_review(org, message)

    pub = approve(org, case, django_capture_on_commit_callbacks)

    created = vk.created_comments()
    assert len(created) == 1 and vk.count_calls("wall.createComment") == 1
    comment = created[0]
    assert comment.guid == pub.guid and comment.reply_to_comment == 2 and comment.from_id == -100001
    assert pub.status == Publication.Status.PUBLISHED
    assert pub.external_id == f"wall-100001_1_c{comment.id}"
    assert pub.url == f"https://vk.com/wall-100001_1?reply={comment.id}"
    assert case.state == "closed"
    draft = case.drafts.get()
    assert (draft.published_url, draft.published_external_id) == (pub.url, pub.external_id)
    event = CaseEvent.objects.filter(case=case, action="publish").get()
    assert event.actor_id is None and event.payload["automatic"] is True

    # Any later attempt (a duplicate task, the beat) sends nothing.
    assert publish(pub.pk).status == Publication.Status.PUBLISHED
    assert publish_due() == 0
    assert vk.count_calls("wall.createComment") == 1


def test_lost_response_is_retried_and_deduplicated_by_guid(org, vk, sleeps, django_capture_on_commit_callbacks):
    source = vk_source(org, vk, max_attempts=1)  # the outbox, not the client, retries here
    message = polled(source, "wall-100001_1_c2")
    case = case_in_review(org, message)
    vk.inject("wall.createComment", "lose_response")  # VK posts it, the answer never arrives

    pub = approve(org, case, django_capture_on_commit_callbacks)
    assert pub.status == Publication.Status.PENDING and pub.attempts == 1
    assert pub.next_attempt_at is not None and "504" in pub.last_error
    assert case.state == "approved"

    # The beat comes back once the retry time has passed.
    Publication.objects.filter(pk=pub.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    assert publish_due() == 1

    pub.refresh_from_db()
    case.refresh_from_db()
    assert vk.count_calls("wall.createComment") == 2
    assert len(vk.created_comments()) == 1  # the same guid: VK returned the first comment
    assert pub.status == Publication.Status.PUBLISHED and pub.attempts == 2
    assert pub.external_id == f"wall-100001_1_c{vk.created_comments()[0].id}"
    assert case.state == "closed"


def test_client_level_retry_after_a_lost_response_posts_once(org, vk, sleeps, django_capture_on_commit_callbacks):
    source = vk_source(org, vk)
    message = polled(source, "wall-100001_1_c2")
    case = case_in_review(org, message)
    vk.inject("wall.createComment", "lose_response")

    pub = approve(org, case, django_capture_on_commit_callbacks)

    assert pub.status == Publication.Status.PUBLISHED and len(sleeps) == 1
    assert vk.count_calls("wall.createComment") == 2 and len(vk.created_comments()) == 1


def test_closed_comments_go_back_to_the_executor_who_publishes_by_hand(
    org, vk, sleeps, django_capture_on_commit_callbacks
):
    source = vk_source(org, vk)
    message = polled(source, "wall-100001_1_c2")
    case = case_in_review(org, message)
    vk.walls[-100001][0].comments_closed = True  # error 212

    pub = approve(org, case, django_capture_on_commit_callbacks)

    assert pub.status == Publication.Status.MANUAL and "212" in pub.last_error
    assert vk.created_comments() == []
    failed = CaseEvent.objects.get(case=case, action="publish_failed")
    assert "212" in failed.payload["error"] and failed.actor_id is None
    assert case.state == "approved"
    assert publish(pub.pk).status == Publication.Status.MANUAL and vk.count_calls("wall.createComment") == 1

    actions.case_publish(
        case=case, actor=org.actor("roads"), url="https://vk.com/wall-100001_1?reply=99", external_id="manual"
    )
    case.refresh_from_db()
    pub.refresh_from_db()
    assert case.state == "closed" and pub.status == Publication.Status.PUBLISHED
    assert vk.count_calls("wall.createComment") == 1


def test_a_publication_being_sent_is_not_sent_again(org, vk, sleeps, django_capture_on_commit_callbacks):
    source = vk_source(org, vk)
    message = polled(source, "wall-100001_1_c2")
    case = case_in_review(org, message)
    with django_capture_on_commit_callbacks(execute=False):  # approve, but do not run the task yet
        actions.case_approve(case=case, actor=org.actor("curator"))
    pub = Publication.objects.get(case=case)
    Publication.objects.filter(pk=pub.pk).update(status=Publication.Status.SENDING)

    assert publish(pub.pk).status == Publication.Status.SENDING  # another worker holds it
    assert vk.count_calls("wall.createComment") == 0
    # That worker died 11 minutes ago: VK de-duplicates by guid, so the send is taken over.
    later = timezone.now() + dt.timedelta(minutes=11)
    assert publish(pub.pk, now=later).status == Publication.Status.PUBLISHED
    assert len(vk.created_comments()) == 1


def tg_message(source: Source) -> Message:
    result = polling.poll_source(source)
    assert result.ok, result.error
    return Message.objects.get(source=source, text__startswith="Автобус до школы")


def test_telegram_429_is_retried_after_retry_after(org, telegram, sleeps, django_capture_on_commit_callbacks):
    source = tg_source(org, telegram)
    case = case_in_review(org, tg_message(source), text="Автобус вышел на линию, перевозчику сделано замечание.")
    telegram.inject("sendMessage", "rate_limit", retry_after=2)

    pub = approve(org, case, django_capture_on_commit_callbacks)

    assert sleeps == [2.0]
    assert telegram.count_calls("sendMessage") == 2 and len(telegram.sent) == 1
    assert pub.status == Publication.Status.PUBLISHED and pub.external_id.startswith("-1001000000003:")
    assert case.state == "closed"


def test_telegram_timeout_is_not_retried_the_executor_checks_by_hand(
    org, telegram, sleeps, django_capture_on_commit_callbacks
):
    source = tg_source(org, telegram, timeout=0.3)
    case = case_in_review(org, tg_message(source), text="Автобус вышел на линию.")
    telegram.inject("sendMessage", "sleep", seconds=0.8)  # Telegram sends it, we do not hear back

    pub = approve(org, case, django_capture_on_commit_callbacks)

    assert pub.status == Publication.Status.MANUAL and "вручную" in pub.last_error
    assert sleeps == [] and telegram.count_calls("sendMessage") == 1
    assert CaseEvent.objects.filter(case=case, action="publish_failed").count() == 1
    time.sleep(0.7)  # the fake finishes the send it was asked for
    assert len(telegram.sent) == 1
    assert publish(pub.pk).status == Publication.Status.MANUAL
    assert publish_due() == 0
    assert telegram.count_calls("sendMessage") == 1  # never twice


def test_a_stale_telegram_send_goes_to_manual_not_resent(org, telegram, sleeps, django_capture_on_commit_callbacks):
    source = tg_source(org, telegram)
    case = case_in_review(org, tg_message(source))
    with django_capture_on_commit_callbacks(execute=False):
        actions.case_approve(case=case, actor=org.actor("curator"))
    pub = Publication.objects.get(case=case)
    Publication.objects.filter(pk=pub.pk).update(status=Publication.Status.SENDING)

    outcome = publish(pub.pk, now=timezone.now() + dt.timedelta(minutes=11))

    assert outcome.status == Publication.Status.MANUAL and "прервалась" in outcome.error
    assert telegram.count_calls("sendMessage") == 0


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100


def _case_with_media(org, message: Message, text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    curator, executor = org.actor("curator"), org.actor("roads")
    case = actions.case_detect(message=message, actor=curator)
    actions.case_route(case=case, actor=curator, targets=[RouteTarget(org.depts["roads"].pk)])
    actions.case_accept(case=case, actor=executor)
    photo = actions.case_attach_file(case=case, actor=executor, upload=SimpleUploadedFile("yama.jpg", JPEG))
    video = actions.case_attach_file(case=case, actor=executor, upload=SimpleUploadedFile("remont.mp4", MP4))
    actions.case_submit_draft(case=case, actor=executor, kind="answer", text=text, attachment_ids=[photo.pk, video.pk])
    return case


def test_approved_vk_answer_goes_out_once_with_its_photo_and_video(
    org, vk, sleeps, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    message = polled(vk_source(org, vk), "wall-100001_1_c2")
    case = _case_with_media(org, message, "Дорогу отремонтировали, фото и видео прилагаем.")
    pub = approve(org, case, django_capture_on_commit_callbacks)
    (comment,) = vk.created_comments()
    assert pub.status == Publication.Status.PUBLISHED
    assert [a["type"] for a in comment.attachments] == ["photo", "video"]
    assert publish(pub.pk).status == Publication.Status.PUBLISHED and len(vk.created_comments()) == 1


def test_approved_max_answer_goes_out_once_as_a_reply_with_its_media(
    org, sleeps, settings, tmp_path, django_capture_on_commit_callbacks
):
    from otklik.sources.max.fake import FakeMax

    settings.MEDIA_ROOT = tmp_path
    with FakeMax(token="m") as mx:
        mx.add_chat(-7001, "Чат жителей")
        source = Source.objects.create(
            administration=org.adm,
            name="MAX",
            kind=Source.Kind.MAX,
            network="max",
            token="m",
            base_url=mx.url,
            config={"chat_ids": [-7001]},
        )
        polling.poll_source(source)
        asked = mx.post(-7001, "Когда починят дорогу?", user={"user_id": 601, "first_name": "Нина", "is_bot": False})
        polling.poll_source(source)
        message = Message.objects.get(source=source)
        case = _case_with_media(org, message, "Дорогу починили.")
        pub = approve(org, case, django_capture_on_commit_callbacks)
        assert pub.status == Publication.Status.PUBLISHED and len(mx.sent) == 1
        sent = mx.sent[0]
        assert sent["link"]["message"]["mid"] == asked["body"]["mid"]
        assert [a["type"] for a in sent["body"]["attachments"]] == ["image", "video"]
        assert publish(pub.pk).status == Publication.Status.PUBLISHED and len(mx.sent) == 1
