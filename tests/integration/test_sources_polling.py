"""Polling: cursor saved only after the commit, a crash mid-batch loses and duplicates nothing,
failing sources are marked, due sources are enqueued once, ``otklik sources check|poll``."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from otklik.domain.messages import IncomingMessage
from otklik.inbox import actions as inbox_actions
from otklik.inbox.models import Message, Source
from otklik.sources import polling
from otklik.sources.errors import ConfigurationError, TransientSourceError
from otklik.sources.tasks import poll_due_sources
from otklik.sources.vk.fake import FakeVk
from otklik.sources.vk.fake import seed_demo as seed_vk

pytestmark = pytest.mark.django_db


def msg(n: int) -> IncomingMessage:
    return IncomingMessage(network="vk", external_id=f"m{n}", text=f"Сообщение {n}: нет воды на ул. Ленина")


class PagedConnector:
    """Two pages: m1..m3 then m4..m5; the cursor is the page number; ``fail`` raises on fetch."""

    network = "vk"

    def __init__(self, fail: Exception | None = None, skipped: list[str] | None = None):
        self.pages = {0: [msg(1), msg(2), msg(3)], 1: [msg(4), msg(5)]}
        self.fail = fail
        self.skipped = skipped or []
        self.cursors_seen: list[dict] = []
        self.has_more = False
        self.last_skipped: list[str] = []

    def fetch(self, cursor: dict):
        self.cursors_seen.append(dict(cursor))
        if self.fail:
            raise self.fail
        page = int(cursor.get("page", 0))
        self.has_more = page + 1 < len(self.pages)
        self.last_skipped = list(self.skipped) if page == 0 else []
        return list(self.pages.get(page, [])), {"page": page + 1}

    def close(self) -> None:
        pass


@pytest.fixture
def source(org) -> Source:
    return Source.objects.create(
        administration=org.adm, name="ВК: сообщество", kind=Source.Kind.VK, network="vk", token="t", poll_interval=60
    )


def ids(source: Source) -> list[str]:
    return sorted(Message.objects.filter(source=source).values_list("external_id", flat=True))


def test_pages_are_committed_and_the_cursor_saved_after_each(source):
    result = polling.poll_source(source, connector=PagedConnector())
    source.refresh_from_db()
    assert result.ok and result.pages == 2 and result.created == 5
    assert ids(source) == ["m1", "m2", "m3", "m4", "m5"]
    assert source.cursor == {"page": 2} and source.status == Source.Status.OK
    assert source.last_success_at is not None and source.failure_count == 0 and source.last_error == ""


def test_crash_in_the_middle_of_a_batch_then_rerun_loses_and_duplicates_nothing(source, monkeypatch):
    real = inbox_actions.message_ingest_batch
    calls = []

    def crash_on_second(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("сбой базы посреди пакета")
        return real(**kwargs)

    monkeypatch.setattr(polling, "message_ingest_batch", crash_on_second)
    with pytest.raises(RuntimeError):
        polling.poll_source(source, connector=PagedConnector())
    source.refresh_from_db()
    assert ids(source) == ["m1", "m2", "m3"]  # page 1 committed
    assert source.cursor == {"page": 1}  # moved only past what was committed
    assert source.failure_count == 1 and "сбой базы" in source.last_error

    monkeypatch.setattr(polling, "message_ingest_batch", real)
    connector = PagedConnector()
    result = polling.poll_source(source, connector=connector)
    source.refresh_from_db()
    assert connector.cursors_seen == [{"page": 1}]  # resumed where the commit left off
    assert result.created == 2 and result.duplicates == 0
    assert ids(source) == ["m1", "m2", "m3", "m4", "m5"]
    assert source.cursor == {"page": 2} and source.status == Source.Status.OK and source.failure_count == 0


def test_crash_after_the_commit_before_the_cursor_save_refetches_without_duplicates(source, monkeypatch):
    real = polling._save_cursor

    def crash(*args, **kwargs):
        raise RuntimeError("процесс остановлен")

    monkeypatch.setattr(polling, "_save_cursor", crash)
    with pytest.raises(RuntimeError):
        polling.poll_source(source, connector=PagedConnector())
    source.refresh_from_db()
    assert ids(source) == ["m1", "m2", "m3"] and source.cursor == {}

    monkeypatch.setattr(polling, "_save_cursor", real)
    result = polling.poll_source(source, connector=PagedConnector())
    assert result.created == 2 and result.duplicates == 3
    assert Message.objects.filter(source=source).count() == 5


def test_a_newer_poll_owns_the_cursor(source):
    """Two overlapping polls: the older one does not move the cursor the newer one set."""
    older = timezone.now()
    Source.objects.filter(pk=source.pk).update(last_polled_at=older + dt.timedelta(seconds=5))
    assert not polling._save_cursor(source, older, {"page": 9})
    source.refresh_from_db()
    assert source.cursor == {}


def test_a_transient_failure_turns_the_source_failing_at_once_and_counts(source):
    for n in range(1, 4):
        result = polling.poll_source(source, connector=PagedConnector(fail=TransientSourceError("сервер ответил 502")))
        source.refresh_from_db()
        assert not result.ok and source.failure_count == n
        assert source.status == Source.Status.FAILING
    assert "502" in source.last_error
    polling.poll_source(source, connector=PagedConnector())
    source.refresh_from_db()
    assert source.status == Source.Status.OK and source.failure_count == 0 and source.last_error == ""


def test_a_configuration_error_fails_at_once(source):
    result = polling.poll_source(source, connector=PagedConnector(fail=ConfigurationError("ключ доступа истёк")))
    source.refresh_from_db()
    assert not result.ok and source.status == Source.Status.FAILING and "ключ доступа истёк" in source.last_error


def test_skipped_items_are_noted_but_do_not_fail_the_poll(source):
    result = polling.poll_source(source, connector=PagedConnector(skipped=["комментарий: нет поля 'id'"]))
    source.refresh_from_db()
    assert result.ok and source.status == Source.Status.OK
    assert "пропущено элементов: 1" in source.last_error and "нет поля 'id'" in source.last_error


@pytest.fixture
def vk():
    with FakeVk(token="vk-token") as fake:
        seed_vk(fake)
        yield fake


def vk_source(org, vk, **kw) -> Source:
    return Source.objects.create(
        administration=org.adm,
        name="ВКонтакте: администрация",
        kind=Source.Kind.VK,
        network="vk",
        token="vk-token",
        base_url=vk.url + "/method",
        config={"group_ids": [100001, 100002], "max_attempts": 1},
        **kw,
    )


def test_real_vk_fake_end_to_end(org, vk):
    source = vk_source(org, vk)
    first = polling.poll_source(source)
    assert first.ok and first.created == 5, first
    again = polling.poll_source(source)
    assert again.ok and again.created == 0
    vk.add_post(100002, "Новая жалоба: нет света на ул. Журавлёва", from_id=501)
    third = polling.poll_source(source)
    assert third.created == 1
    assert Message.objects.filter(source=source, network="vk").count() == 6


def test_real_vk_failures_show_failing_with_last_error(org, vk):
    source = vk_source(org, vk)
    vk.inject("*", "http_500", times=100)
    for _ in range(3):
        polling.poll_source(source)
    source.refresh_from_db()
    assert source.status == Source.Status.FAILING and "500" in source.last_error and source.failure_count == 3


def test_due_sources_are_claimed_once_and_polled_by_the_task(org, vk, source):
    now = timezone.now()
    fresh = vk_source(org, vk)  # never polled: due
    Source.objects.filter(pk=source.pk).update(last_polled_at=now - dt.timedelta(seconds=30))  # not yet due
    Source.objects.create(administration=org.adm, name="Выкл.", kind="vk", network="vk", token="x", enabled=False)
    Source.objects.create(administration=org.adm, name="Ручной", kind="manual", network="other")
    hook = Source.objects.create(
        administration=org.adm, name="Бот", kind="telegram", network="telegram", config={"webhook_secret": "s"}
    )
    assert polling.claim_due_sources(now) == [fresh.pk]
    assert polling.claim_due_sources(now) == []  # claimed: not enqueued twice
    assert polling.claim_due_sources(now + dt.timedelta(seconds=61)) == [source.pk]
    assert hook.pk not in polling.claim_due_sources(now + dt.timedelta(days=1))

    Source.objects.filter(pk=fresh.pk).update(last_polled_at=None)
    assert poll_due_sources() >= 1  # eager in tests: polled right away
    assert Message.objects.filter(source=fresh).count() == 5


def run(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("sources", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_check_with_no_sources_says_so(db):
    assert run("check") == (0, "Источники не настроены\n", "")


def test_check_names_the_failing_source_and_exits_1(org, vk):
    good = vk_source(org, vk)
    code, out, _ = run("check")
    assert code == 0 and f"OK      {good.name}" in out
    bad = Source.objects.create(
        administration=org.adm,
        name="ВК: чужой токен",
        kind="vk",
        network="vk",
        token="wrong",
        base_url=vk.url + "/method",
        config={"group_ids": [100001]},
    )
    code, out, err = run("check")
    assert code == 1 and "ОШИБКА  ВК: чужой токен" in out and "ключ доступа" in out
    assert "«ВК: чужой токен»" in err and good.name not in err
    vk.stop()
    code, out, err = run("check")
    assert code == 1 and good.name in err and bad.name in err


def test_poll_command(org, vk):
    source = vk_source(org, vk)
    code, out, _ = run("poll", "--source", str(source.pk))
    assert code == 0 and "новых 5" in out
    code, out, _ = run("poll")
    assert code == 0 and "новых 0" in out
