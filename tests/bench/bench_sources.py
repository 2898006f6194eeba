"""Benchmarks of the connectors (not collected by pytest).

    .venv/bin/python tests/bench/bench_sources.py [--posts 200 --comments 25 --rows 100000 --topics 100]
    .venv/bin/python tests/bench/bench_sources.py --only ok   # the OK figures alone

1. VK: messages per second from the fake VK API over real HTTP on 127.0.0.1 to parsed
   ``IncomingMessage`` objects (wall.get + wall.getComments with threads).
3. VK to committed rows: the same wall polled through ``otklik.sources.polling.poll_source``
   into a temporary SQLite database (fetch + ``message_ingest_batch`` + cursor save).
5. VK API calls per poll of a 200-post wall with nothing new: right after a poll (only the
   ``wall.get`` pages) and when re-reads are due (plus at most ``recheck_per_poll`` posts).
6. OK: messages per second from the fake OK API (signed calls over real HTTP) to parsed messages,
   to committed rows through ``poll_source``, and API calls per poll with nothing new (only
   ``group.getStatTopics``) and when the hourly re-reads are due.
2. File import: a 100 000-row CSV streamed through ``read_messages``: rows per second and peak
   Python memory (tracemalloc) — the reader must not grow with the file.
4. The same file through ``otklik.sources.importing.import_file`` into the database (batches of
   1 000, each committed), then imported again (adds nothing); peak memory by tracemalloc and
   the process's max RSS.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from otklik.domain.messages import IncomingMessage
from otklik.sources.files import read_messages
from otklik.sources.ok.fake import FakeOk
from otklik.sources.registry import get_connector
from otklik.sources.vk.fake import FakeVk

OK_GROUP = "53000000000001"
OK_CONFIG = {"application_key": "CBAKEY", "application_secret_key": "SECRET", "access_token": "tkn"}


def bench_vk(posts: int, comments: int) -> None:
    with FakeVk(token="t") as fake:
        fake.add_group(1, "Бенчмарк")
        fake.add_user(5, "Иван", "Иванов")
        for p in range(posts):
            post = fake.add_post(1, f"Пост {p}: нет воды на улице {p}", from_id=5)
            for c in range(comments):
                root = fake.add_comment(1, post.id, f"Комментарий {c} к посту {p}", from_id=5)
                if c % 5 == 0:
                    fake.add_comment(1, post.id, "Ответ в ветке", from_id=5, thread_root=root.id)
        connector = get_connector(
            "vk",
            {"token": "t", "group_ids": [1]},
            base_url=fake.url + "/method",
        )
        started = time.perf_counter()
        total = 0
        cursor: dict = {}
        # Every post of the 30-day window is read in one run (no "newest 20" cap any more).
        messages, cursor = connector.fetch(cursor)
        total += len(messages)
        elapsed = time.perf_counter() - started
        calls = len(fake.calls)
    print(
        f"VK fetch: {total} messages in {elapsed:.2f} s = {total / elapsed:,.0f} msg/s "
        f"({calls} API calls, {elapsed / calls * 1000:.1f} ms/call)"
    )


def bench_csv(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "import.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(["id", "Текст", "Дата", "Автор", "Ссылка"])
            for n in range(rows):
                text = "" if n % 1000 == 999 else f"Обращение {n}: на улице Ленина не горят фонари"
                writer.writerow([n, text, "01.12.2024 10:30", f"Житель {n % 300}", f"https://vk.com/wall-1_{n}"])
        size_mb = path.stat().st_size / 1e6
        mapping = {
            "external_id": "id",
            "text": "Текст",
            "published_at": "Дата",
            "author_name": "Автор",
            "url": "Ссылка",
        }
        started = time.perf_counter()
        good = bad = 0
        for _, item in read_messages(path, mapping=mapping):
            if isinstance(item, IncomingMessage):
                good += 1
            else:
                bad += 1
        elapsed = time.perf_counter() - started
        # A second pass under tracemalloc (which slows Python down several times) for memory.
        tracemalloc.start()
        for _ in read_messages(path, mapping=mapping):
            pass
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"CSV import: {rows:,} rows ({size_mb:.1f} MB) in {elapsed:.2f} s = "
        f"{rows / elapsed:,.0f} rows/s; {good:,} messages, {bad:,} row errors; "
        f"peak traced memory {peak / 1e6:.1f} MB; process max RSS {rss:.0f} MB"
    )


def setup_django(tmp: str) -> None:
    """A throw-away data directory (SQLite database) before Django starts, then migrate."""
    os.environ["OTKLIK_DATA_DIR"] = tmp
    # Development settings: not eager, so the triage a commit enqueues runs in a worker (as in
    # production), not inside the measured loop; the broker is a SQLite file in ``tmp``.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("OTKLIK_CELERY_EAGER", "0")
    os.environ.setdefault("OTKLIK_DEBUG", "0")  # DEBUG keeps every SQL statement in memory
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_source(kind: str, **fields: object):
    from otklik.inbox.models import Source
    from otklik.organization.models import Administration

    adm, _ = Administration.objects.get_or_create(slug="bench", defaults={"name": "Бенчмарк"})
    return Source.objects.create(administration=adm, name=f"Бенчмарк {kind}", kind=kind, **fields)


def _wall(fake: FakeVk, group: int, posts: int, comments: int) -> None:
    fake.add_group(group, "Бенчмарк")
    fake.add_user(5, "Иван", "Иванов")
    for p in range(posts):
        post = fake.add_post(group, f"Пост {p}: нет воды на улице {p}", from_id=5)
        for c in range(comments):
            root = fake.add_comment(group, post.id, f"Комментарий {c} к посту {p}", from_id=5)
            if c % 5 == 0:
                fake.add_comment(group, post.id, "Ответ в ветке", from_id=5, thread_root=root.id)


def bench_vk_rows(posts: int, comments: int) -> None:
    from otklik.inbox.models import Message
    from otklik.sources.polling import poll_source

    with FakeVk(token="t") as fake:
        _wall(fake, 2, posts, comments)
        source = make_source("vk", network="vk", token="t", base_url=fake.url + "/method", config={"group_ids": [2]})
        started = time.perf_counter()
        result = poll_source(source)
        elapsed = time.perf_counter() - started
        assert result.ok, result.error
        rows = Message.objects.filter(source=source).count()
        started2 = time.perf_counter()
        again = poll_source(source)
        elapsed2 = time.perf_counter() - started2
    print(
        f"VK poll to committed rows: {rows} rows in {elapsed:.2f} s = {rows / elapsed:,.0f} msg/s "
        f"(fetch + ingest + cursor); a second poll (nothing new: {again.created}) {elapsed2:.2f} s"
    )


def bench_vk_calls(posts: int = 200) -> None:
    with FakeVk(token="t") as fake:
        _wall(fake, 3, posts, 2)
        connector = get_connector("vk", {"token": "t", "group_ids": [3]}, base_url=fake.url + "/method")
        clock = [time.time()]
        connector.clock = lambda: clock[0]
        _, cursor = connector.fetch({})
        first = len(fake.calls)
        clock[0] += 300
        _, cursor = connector.fetch(cursor)
        quiet = len(fake.calls) - first
        clock[0] += 3601
        before = len(fake.calls)
        connector.fetch(cursor)
        due = len(fake.calls) - before
    print(
        f"VK {posts}-post wall, nothing new: {quiet} API calls per poll ({first} on the first poll; "
        f"{due} when the hourly re-reads are due, recheck_per_poll=10)"
    )


def _ok_group(fake: FakeOk, topics: int, comments: int) -> None:
    fake.add_group(OK_GROUP, "Бенчмарк")
    fake.users["910000000001"] = "Иван Иванов"
    for t in range(topics):
        tid = fake.add_topic(OK_GROUP, f"Тема {t}: нет воды на улице {t}", author="910000000001")
        for c in range(comments):
            fake.add_comment(tid, f"Комментарий {c} к теме {t}", author="910000000001")


def bench_ok(topics: int, comments: int) -> None:
    with FakeOk() as fake:
        _ok_group(fake, topics, comments)
        connector = get_connector("ok", {**OK_CONFIG, "group_ids": [OK_GROUP], "topics_depth": 100}, base_url=fake.url)
        clock = [time.time()]
        connector.clock = lambda: clock[0]
        started = time.perf_counter()
        messages, cursor = connector.fetch({})
        elapsed = time.perf_counter() - started
        first = len(fake.calls)
        clock[0] += 300
        connector.fetch(cursor)
        quiet = len(fake.calls) - first
        clock[0] += 3601
        before = len(fake.calls)
        connector.fetch(cursor)
        due = len(fake.calls) - before
    print(
        f"OK fetch: {len(messages)} messages in {elapsed:.2f} s = {len(messages) / elapsed:,.0f} msg/s "
        f"({first} signed API calls, {elapsed / first * 1000:.1f} ms/call); {topics} topics, nothing new: "
        f"{quiet} API call(s) per poll; {due} when the hourly re-reads are due (recheck_per_poll=10)"
    )


def bench_ok_rows(topics: int, comments: int) -> None:
    from otklik.inbox.models import Message
    from otklik.sources.polling import poll_source

    with FakeOk() as fake:
        _ok_group(fake, topics, comments)
        source = make_source(
            "ok", network="ok", base_url=fake.url, config={**OK_CONFIG, "group_ids": [OK_GROUP], "topics_depth": 100}
        )
        started = time.perf_counter()
        result = poll_source(source)
        elapsed = time.perf_counter() - started
        assert result.ok, result.error
        rows = Message.objects.filter(source=source).count()
        calls = len(fake.calls)
        started2 = time.perf_counter()
        again = poll_source(source)
        elapsed2 = time.perf_counter() - started2
    from django.conf import settings

    rate = settings.OTKLIK_RATE_LIMITS.get("ok", 0)
    limit = (
        f"{calls} calls under the shared limit of {rate:g} calls/s: at least {calls / rate:.1f} s of it is waiting"
        if rate
        else f"{calls} calls, no shared rate limit"
    )
    print(
        f"OK poll to committed rows: {rows} rows in {elapsed:.2f} s = {rows / elapsed:,.0f} msg/s "
        f"(fetch + ingest + cursor; {limit}); a second poll (nothing new: {again.created}) {elapsed2:.2f} s"
    )


def bench_import(rows: int) -> None:
    from otklik.inbox.models import Message
    from otklik.sources.importing import import_file

    source = make_source("file", network="other")
    mapping = {"external_id": "id", "text": "Текст", "published_at": "Дата", "author_name": "Автор", "url": "Ссылка"}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "import.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(["id", "Текст", "Дата", "Автор", "Ссылка"])
            for n in range(rows):
                text = "" if n % 1000 == 999 else f"Обращение {n}: на улице Ленина не горят фонари"
                writer.writerow([n, text, "01.12.2024 10:30", f"Житель {n % 300}", f"https://vk.com/wall-1_{n}"])
        started = time.perf_counter()
        report = import_file(source=source, path_or_file=path, format="csv", mapping=mapping)
        elapsed = time.perf_counter() - started
        stored = Message.objects.filter(source=source).count()
        started = time.perf_counter()
        again = import_file(source=source, path_or_file=path, format="csv", mapping=mapping)
        elapsed2 = time.perf_counter() - started
        # Memory: the same import into a second source under tracemalloc (several times slower).
        other = make_source("file", network="vk")
        tracemalloc.start()
        import_file(source=other, path_or_file=path, format="csv", mapping=mapping)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"import_file: {rows:,} rows -> {report.created:,} committed ({stored:,} in the table), "
        f"{report.error_count:,} row errors, in {elapsed:.2f} s = {rows / elapsed:,.0f} rows/s; "
        f"peak traced memory {peak / 1e6:.1f} MB; process max RSS {rss:.0f} MB; "
        f"re-import: {again.created} added, {again.duplicates:,} duplicates in {elapsed2:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--comments", type=int, default=25)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--topics", type=int, default=100)
    parser.add_argument("--only", choices=["ok"], help="run only these benchmarks")
    args = parser.parse_args()
    if args.only == "ok":
        bench_ok(args.topics, args.comments)
        with tempfile.TemporaryDirectory() as tmp:
            setup_django(tmp)
            bench_ok_rows(args.topics, args.comments)
        return
    bench_vk(args.posts, args.comments)
    bench_vk_calls(200)
    bench_ok(args.topics, args.comments)
    bench_csv(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(tmp)
        bench_vk_rows(args.posts, args.comments)
        bench_ok_rows(args.topics, args.comments)
        bench_import(args.rows)


if __name__ == "__main__":
    main()
