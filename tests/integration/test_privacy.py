"""Issue 15 §6, personal data (152-ФЗ): retention per administration (pseudonymise authors, purge raw
payloads, keep texts; idempotent; run by beat and logged), alerts without the author, and a
citizen's data exported on request (command and admin-only page), each export on record."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client

from otklik.cases import actions
from otklik.cases.models import Case, Draft
from otklik.inbox.models import Message, MessageRevision, Source
from otklik.privacy.export import AuthorQuery, export_author
from otklik.privacy.models import DataExport, RetentionPolicy, RetentionRun
from otklik.privacy.retention import apply_retention, months_before
from tests.conftest import chita

NOW = chita(2026, 12, 2, 10)
LONG_AGO = chita(2023, 10, 1, 10)  # 38 months before NOW
LAST_MONTH = chita(2026, 11, 1, 10)

pytestmark = pytest.mark.django_db


def _source(org: Any) -> Source:
    source, _ = Source.objects.get_or_create(
        administration=org.adm, name="Группа", kind=Source.Kind.MANUAL, network="vk"
    )
    return source


def make_message(org: Any, ext: str, *, author: str = "Иван Петров", author_id: str = "id42", at=LONG_AGO) -> Message:
    message = Message.objects.create(
        administration=org.adm,
        source=_source(org),
        network="vk",
        external_id=ext,
        author_name=author,
        author_id=author_id,
        author_url=f"https://vk.com/{author_id}",
        text=f"Нет воды на ул. Ленина ({ext})",
        raw={"from_id": author_id, "name": author, "text": "…"},
        context={"parent": {"kind": "post", "text": "Пост", "author_name": "Мария Сидорова", "url": ""}},
        received_at=at,
    )
    MessageRevision.objects.create(
        message=message, number=1, kind="edited", text="Старый текст", recorded_at=at, raw={"from_id": author_id}
    )
    return message


def closed_case(org: Any, message: Message, closed_at: dt.datetime) -> Case:
    case = actions.case_detect(message=message, actor=org.actor("curator"), now=closed_at - dt.timedelta(hours=1))
    return actions.case_refuse(case=case, actor=org.actor("curator"), reason="Не по теме", now=closed_at)


@pytest.fixture
def seeded(org):
    old1 = make_message(org, "c-1")
    old2 = make_message(org, "c-2")
    closed_case(org, old1, LONG_AGO)
    closed_case(org, old2, LONG_AGO)
    recent = make_message(org, "c-3", at=LAST_MONTH)
    closed_case(org, recent, LAST_MONTH)
    dismissed = make_message(org, "d-1", author="Пётр Иванов", author_id="id77", at=chita(2025, 10, 1))
    Message.objects.filter(pk=dismissed.pk).update(status=Message.Status.DISMISSED, dismissed_at=chita(2025, 10, 1))
    waiting = make_message(org, "n-1", author="Анна", author_id="id99", at=LONG_AGO)  # never handled
    return {"old": [old1, old2], "recent": recent, "dismissed": dismissed, "waiting": waiting}


def test_months_before_keeps_the_day_or_takes_the_last_of_a_shorter_month():
    assert months_before(chita(2026, 3, 31, 12), 1) == chita(2026, 2, 28, 12)
    assert months_before(chita(2026, 1, 15), 13) == chita(2024, 12, 15)


def test_retention_pseudonymises_authors_purges_raw_data_and_keeps_texts(org, seeded):
    (run,) = apply_retention(now=NOW)
    assert (run.messages, run.authors, run.revisions, run.dry_run) == (3, 2, 3, False)
    assert RetentionRun.objects.get() == run and run.finished_at
    old1, old2 = (Message.objects.get(pk=m.pk) for m in seeded["old"])
    for m in (old1, old2):
        assert m.author_id.startswith("psd:") and "id42" not in m.author_id
        assert m.author_name.startswith("Автор ") and "Иван" not in m.author_name
        assert m.author_url == "" and m.raw == {}
        assert m.context["parent"]["author_name"] == "" and m.context["parent"]["text"] == "Пост"
        assert m.text.startswith("Нет воды")  # kept for statistics
        assert list(m.revisions.values_list("raw", "text")) == [({}, "Старый текст")]
    # One author, one pseudonym: statistics still group.
    assert old1.author_id == old2.author_id and old1.author_name == old2.author_name
    dismissed = Message.objects.get(pk=seeded["dismissed"].pk)
    assert dismissed.author_id.startswith("psd:") and dismissed.author_id != old1.author_id
    for key in ("recent", "waiting"):
        untouched = Message.objects.get(pk=seeded[key].pk)
        assert untouched.author_name != "" and not untouched.author_id.startswith("psd:")
        assert untouched.raw and untouched.revisions.get().raw


def test_retention_is_idempotent_and_a_dry_run_changes_nothing(org, seeded):
    (dry,) = apply_retention(now=NOW, dry_run=True)
    assert (dry.messages, dry.dry_run) == (3, True)
    assert not Message.objects.filter(author_id__startswith="psd:").exists()
    apply_retention(now=NOW)
    (again,) = apply_retention(now=NOW)
    assert (again.messages, again.revisions) == (0, 0)
    assert RetentionRun.objects.count() == 3


def test_the_policy_is_per_administration(org, other_org, seeded):
    RetentionPolicy.objects.create(administration=org.adm, months_after_closed=60, months_after_dismissed=60)
    runs = apply_retention(now=NOW)
    assert {r.administration_id for r in runs} == {org.adm.pk, other_org.adm.pk}
    mine = next(r for r in runs if r.administration_id == org.adm.pk)
    assert mine.messages == 0  # 38 months < 60
    RetentionPolicy.objects.filter(administration=org.adm).update(months_after_closed=1, months_after_dismissed=1)
    (run,) = apply_retention(now=NOW, administration=org.adm)
    assert run.messages == 4  # the recent case too (closed a month ago)
    RetentionPolicy.objects.filter(administration=org.adm).update(action="keep")
    (off,) = apply_retention(now=NOW, administration=org.adm)
    assert off.messages == 0 and "отключена" in off.error


def test_beat_runs_it_daily_and_the_command_reports(org, seeded, capsys):
    entry = settings.CELERY_BEAT_SCHEDULE["privacy-retention"]
    assert entry["task"] == "otklik.privacy.tasks.apply_retention"
    from otklik.privacy.tasks import apply_retention as task

    with time_machine.travel(NOW, tick=False):
        call_command("privacy", "apply", "--dry-run")
        assert "будет обезличено сообщений 3" in capsys.readouterr().out
        assert task.delay().get() == 3
    assert RetentionRun.objects.filter(trigger="beat", dry_run=False, messages=3).exists()
    with pytest.raises(CommandError, match="не найдена"):
        call_command("privacy", "apply", "--administration", "nope")


def _zip(content: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert "README.txt" in archive.namelist()
        return json.loads(archive.read("data.json"))


def test_export_has_the_authors_messages_revisions_cases_and_published_answers(org, other_org, seeded):
    make_message(other_org, "elsewhere")  # the same author in another administration: not exported
    case = Case.objects.get(messages=seeded["old"][0])
    Draft.objects.create(
        case=case,
        department=org.depts["zhkh"],
        text="Воду дадут завтра.",
        author=org.users["zhkh"],
        submitted_at=LONG_AGO,
        status=Draft.Status.PUBLISHED,
        published_at=LONG_AGO,
        published_url="https://vk.com/wall-1_2",
    )
    content, record = export_author(
        administration=org.adm, query=AuthorQuery("vk", "id42"), actor=org.users["admin"], reason="Запрос № 5"
    )
    data = _zip(content)
    assert [m["external_id"] for m in data["messages"]] == ["c-1", "c-2", "c-3"]
    assert data["messages"][0]["revisions"][0]["text"] == "Старый текст"
    assert len(data["cases"]) == 3
    answers = [a["text"] for c in data["cases"] for a in c["answers"]]
    assert answers == ["Воду дадут завтра."]
    assert (record.messages, record.cases, record.requested_by, record.reason) == (
        3,
        3,
        org.users["admin"],
        "Запрос № 5",
    )
    assert len(record.sha256) == 64
    # By name, in any case and network.
    _, by_name = export_author(administration=org.adm, query=AuthorQuery("", "", "пётр  ИВАНОВ"))
    assert by_name.messages == 1
    # After pseudonymisation the citizen is still found by their id (the pseudonym is recomputed).
    apply_retention(now=NOW)
    content, record = export_author(administration=org.adm, query=AuthorQuery("vk", "id42"), channel="command")
    assert [m["external_id"] for m in _zip(content)["messages"]] == ["c-1", "c-2", "c-3"]
    assert DataExport.objects.count() == 3


def test_export_command_and_its_errors(org, seeded, tmp_path, capsys):
    out = tmp_path / "citizen.zip"
    call_command(
        "privacy", "export", "--administration", "gz", "--network", "vk", "--author-id", "id42", "-o", str(out)
    )
    assert "сообщений 3" in capsys.readouterr().out
    assert len(_zip(out.read_bytes())["messages"]) == 3
    with pytest.raises(CommandError, match="укажите сеть"):
        call_command("privacy", "export", "--administration", "gz", "--author-id", "id42", "-o", str(out))
    with pytest.raises(CommandError, match="идентификатор автора в сети или его имя"):
        call_command("privacy", "export", "--administration", "gz", "-o", str(out))
    assert DataExport.objects.get().channel == "command"


@pytest.mark.urls("config.urls")
def test_the_export_page_is_for_the_administrator_only_and_records_who(org, seeded):
    client = Client()
    with time_machine.travel(NOW, tick=False):
        client.force_login(org.users["curator"])
        assert client.get("/privacy/").status_code == 403
        client.force_login(org.users["admin"])
        page = client.get("/privacy/")
        assert page.status_code == 200 and "Выгрузка данных по запросу гражданина" in page.content.decode()
        empty = client.post("/privacy/", {"reason": "Запрос № 7"})
        assert empty.status_code == 422 and "Укажите идентификатор автора" in empty.content.decode()
        response = client.post("/privacy/", {"network": "vk", "author_id": "id42", "reason": "Запрос № 7"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert len(_zip(response.content)["messages"]) == 3
    record = DataExport.objects.get()
    assert (record.requested_by, record.channel, record.reason) == (org.users["admin"], "web", "Запрос № 7")
    with time_machine.travel(NOW, tick=False):
        client.force_login(org.users["admin"])
        assert "Запрос № 7" in client.get("/privacy/").content.decode()


def test_a_significant_message_alert_carries_no_author_and_no_text(org):
    from otklik.notify.alerts import alert_significant_messages
    from otklik.notify.models import Notification

    message = make_message(org, "s-1", at=NOW)
    Message.objects.filter(pk=message.pk).update(
        triage={"significant": True, "significance_reasons": ["угроза жизни"], "topic_name": "ЖКХ"}
    )
    assert alert_significant_messages(NOW + dt.timedelta(minutes=1)) == 1
    alert = Notification.objects.get(kind="significant")
    assert "Иван" not in alert.body and "id42" not in alert.body and "Нет воды" not in alert.body
    assert "угроза жизни" in alert.body and "ЖКХ" in alert.body
    assert alert.url
