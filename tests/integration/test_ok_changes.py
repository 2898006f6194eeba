"""Одноклассники edits and deletions (issue 11 §5a): a citizen edits or deletes a comment on ok.ru,
the fake OK API shows it as OK does (a new text, a comment gone), and the poll stores it as the
worker does: a revision of the same message, ``deleted_at``, a restoration."""

from __future__ import annotations

import time

import pytest

from otklik.inbox.models import Message, Source
from otklik.sources import polling
from otklik.sources.ok.fake import FakeOk, seed_demo
from otklik.sources.registry import get_connector

pytestmark = pytest.mark.django_db

GROUP = "53000000000001"
CONFIG = {"application_key": "CBAKEY", "application_secret_key": "SECRET", "access_token": "tkn", "group_ids": [GROUP]}


@pytest.fixture
def ok():
    with FakeOk() as fake:
        seed_demo(fake, group_id=GROUP)
        yield fake


@pytest.fixture
def source(org) -> Source:
    return Source.objects.create(
        administration=org.adm, name="ОК", kind=Source.Kind.OK, network="ok", config=dict(CONFIG)
    )


def poll(source: Source, ok: FakeOk, now: float) -> polling.PollResult:
    source.refresh_from_db()
    connector = get_connector("ok", CONFIG, base_url=ok.url, sleep=lambda s: None)
    connector.clock = lambda: now
    result = polling.poll_source(source, connector=connector)
    assert result.ok, result.error
    return result


def test_edit_deletion_and_restoration_of_an_ok_comment(ok, source):
    now = time.time()
    poll(source, ok, now)
    tid = next(iter(ok.topics))
    message = Message.objects.get(source=source, text__startswith="На остановке у почты")
    comment_id = message.raw["id"]

    ok.edit_comment(tid, comment_id, "На остановке у почты нет освещения, уже месяц")
    poll(source, ok, now + 61 * 60)  # the count is the same: the hourly re-read sees the edit
    message.refresh_from_db()
    assert message.text == "На остановке у почты нет освещения, уже месяц"
    assert message.edited_at is not None
    assert message.revisions.get().text == "На остановке у почты нет освещения, вечером страшно."

    ok.delete_comment(tid, comment_id)
    poll(source, ok, now + 62 * 60)  # the count dropped: read at once
    message.refresh_from_db()
    assert message.deleted_at is not None

    ok.restore_comment(tid, comment_id)
    poll(source, ok, now + 63 * 60)
    message.refresh_from_db()
    assert message.deleted_at is None
    assert list(message.revisions.values_list("kind", flat=True)) == ["edited", "deleted", "restored"]
    # The two comments (the topic is the group's own), nothing twice.
    assert Message.objects.filter(source=source).count() == 2


def test_a_deleted_and_an_added_comment_between_polls_on_ok(ok, source):
    now = time.time()
    poll(source, ok, now)
    tid = next(iter(ok.topics))
    bridge = Message.objects.get(source=source, text__startswith="Мост через Газимур")
    ok.delete_comment(tid, bridge.raw["id"])
    ok.add_comment(tid, "Доски на мосту так и не заменили", author="910000000001")  # the count stays 2
    poll(source, ok, now + 61 * 60)
    bridge.refresh_from_db()
    assert bridge.deleted_at is not None
    assert Message.objects.filter(source=source, text="Доски на мосту так и не заменили").exists()
