"""Scale-out: two Celery worker processes against one Redis and one PostgreSQL.

Both take the same tasks at once — every poll of the source sent five times, every publication
sent three times, the beat's retry sweep on top — and still no message is ingested twice and no
answer is published twice: a source is polled by one worker at a time (``coordination.lock``),
ingestion is idempotent on (source, external id), and the outbox claims a publication before
sending it, with VK's ``guid`` as the last guard.

Needs PostgreSQL and Redis (CI's second run); skipped on the embedded default unless
``OTKLIK_REQUIRE_SERVERS`` says the servers must be there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection

from otklik.cases import actions
from otklik.cases.actions import RouteTarget
from otklik.cases.models import Publication
from otklik.inbox.models import Message, Source
from otklik.sources.vk.fake import FakeVk, seed_demo

pytestmark = [pytest.mark.xdist_group("celery"), pytest.mark.django_db(transaction=True)]

POSTS, COMMENTS_PER_POST, CASES = 6, 12, 8


def _servers() -> str:
    broker = os.environ.get("OTKLIK_BROKER_URL", "")
    if connection.vendor != "postgresql" or not broker.startswith("redis://"):
        if os.environ.get("OTKLIK_REQUIRE_SERVERS") == "1":
            pytest.fail("OTKLIK_REQUIRE_SERVERS=1 but the database is not PostgreSQL or the broker not Redis")
        pytest.skip("needs PostgreSQL and a Redis broker")
    return broker


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _worker(name: str, queues: str, broker: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        OTKLIK_DATABASE_URL=_database_url(),
        OTKLIK_BROKER_URL=broker,
        OTKLIK_DATA_DIR=str(tmp_path / name),
        DJANGO_SETTINGS_MODULE="config.settings.test",
    )
    (tmp_path / name).mkdir()
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-n",
            f"{name}@%h",
            "-Q",
            queues,
            "--concurrency=2",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait(condition, timeout: float = 120) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def test_two_workers_never_ingest_a_message_twice_nor_publish_an_answer_twice(org, tmp_path, monkeypatch):
    broker = _servers()
    run = uuid.uuid4().hex[:8]
    ingest_q, publish_q = f"ingest-{run}", f"publish-{run}"
    with FakeVk(token="vk-token") as vk:
        seed_demo(vk)
        group = 100001
        for p in range(POSTS):
            post = vk.add_post(group, f"Новость округа {p}")
            for c in range(COMMENTS_PER_POST):
                vk.add_comment(group, post.id, f"Вопрос {p}-{c}: когда починят дорогу?", from_id=501)
        source = Source.objects.create(
            administration=org.adm,
            name="ВКонтакте",
            kind=Source.Kind.VK,
            network="vk",
            token="vk-token",
            base_url=vk.url + "/method",
            config={"group_ids": [group]},
        )
        workers = [_worker(f"w{i}-{run}", f"{ingest_q},{publish_q}", broker, tmp_path) for i in (1, 2)]
        sender = Celery("sender", broker=broker)
        try:
            # 1. The same poll, five times, to both workers at once.
            for _ in range(5):
                sender.send_task("otklik.sources.tasks.poll_source", args=[source.pk], queue=ingest_q)

            def ingested() -> bool:
                return Message.objects.filter(source=source).count() >= POSTS * COMMENTS_PER_POST

            assert _wait(ingested), _output(workers)
            time.sleep(3)  # let the other four polls finish: they must add nothing
            per_id = Counter(Message.objects.filter(source=source).values_list("external_id", flat=True))
            assert per_id and max(per_id.values()) == 1
            fetched = len(per_id)

            # 2. Answers approved while the publish task is held back, then sent thrice each.
            monkeypatch.setattr("otklik.cases.actions.publication._dispatch", lambda publication_id: None)
            curator, roads = org.actor("curator"), org.actor("roads")
            messages = list(Message.objects.filter(source=source, external_id__contains="_c").order_by("pk")[:CASES])
            for i, message in enumerate(messages):
                case = actions.case_detect(message=message, actor=curator)
                actions.case_route(case=case, actor=curator, targets=[RouteTarget(org.depts["roads"].pk)])
                actions.case_accept(case=case, actor=roads)
                actions.case_submit_draft(case=case, actor=roads, kind="answer", text=f"Ответ {i}: дорогу починят.")
                actions.case_approve(case=case, actor=curator)
            pubs = list(Publication.objects.filter(case__administration=org.adm).values_list("pk", flat=True))
            assert len(pubs) == CASES
            for _ in range(3):
                for pub_id in pubs:
                    sender.send_task("otklik.cases.tasks.publish_answer", args=[pub_id], queue=publish_q)
                sender.send_task("otklik.cases.tasks.publish_due", queue=publish_q)

            def published() -> bool:
                return Publication.objects.filter(pk__in=pubs, status=Publication.Status.PUBLISHED).count() == CASES

            assert _wait(published), _output(workers)
            time.sleep(3)  # the duplicate deliveries run to the end
            guids = Counter(c.guid for c in vk.created_comments())
            assert len(guids) == CASES and max(guids.values()) == 1
            assert vk.count_calls("wall.createComment") == CASES
            assert Message.objects.filter(source=source).count() == fetched
        finally:
            out = _stop(workers)
    assert "Traceback" not in out, out[-4000:]


def _stop(workers: list[subprocess.Popen[bytes]]) -> str:
    text = ""
    for w in workers:
        if w.poll() is None:
            w.terminate()
    for w in workers:
        try:
            text += w.communicate(timeout=30)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            w.kill()
            text += w.communicate()[0].decode(errors="replace")
    return text


def _output(workers: list[subprocess.Popen[bytes]]) -> str:
    alive = [w.poll() is None for w in workers]
    return f"workers alive: {alive}; messages: {Message.objects.count()}"
