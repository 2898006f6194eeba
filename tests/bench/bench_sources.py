"""Benchmarks of the connectors (not collected by pytest).

    .venv/bin/python tests/bench/bench_sources.py [--posts 200 --comments 25 --rows 100000]

1. VK: messages per second from the fake VK API over real HTTP on 127.0.0.1 to parsed
   ``IncomingMessage`` objects (wall.get + wall.getComments with threads).
   Phase 2 adds the ingestion into committed rows.
2. File import: a 100 000-row CSV streamed through ``read_messages``: rows per second and peak
   Python memory (tracemalloc) — the reader must not grow with the file.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from otklik.domain.messages import IncomingMessage
from otklik.sources.files import read_messages
from otklik.sources.registry import get_connector
from otklik.sources.vk.fake import FakeVk


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
            {"token": "t", "group_ids": [1], "posts_depth": 100},
            base_url=fake.url + "/method",
        )
        started = time.perf_counter()
        total = 0
        cursor: dict = {}
        # posts_depth caps one run at the 100 newest posts: a run per 100 posts, as beat would.
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--comments", type=int, default=25)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    bench_vk(args.posts, args.comments)
    bench_csv(args.rows)


if __name__ == "__main__":
    main()
