"""Shared locks, rate limits and heartbeats (``otklik.core.coordination``) on both back-ends:
files on one machine, Redis across machines (when ``OTKLIK_BROKER_URL`` is Redis or
``OTKLIK_REDIS_URL`` is set; required under ``OTKLIK_REQUIRE_SERVERS``)."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from otklik.core import coordination
from otklik.core.coordination import FileBackend, RedisBackend


def _redis_url() -> str | None:
    for name in ("OTKLIK_REDIS_URL", "OTKLIK_BROKER_URL"):
        url = os.environ.get(name, "")
        if url.startswith("redis://"):
            return url
    return None


def _backends(tmp_path: Path) -> list[object]:
    found: list[object] = [FileBackend(tmp_path / "run")]
    url = _redis_url()
    if url:
        found.append(RedisBackend(url))
    elif os.environ.get("OTKLIK_REQUIRE_SERVERS"):
        pytest.fail("OTKLIK_REQUIRE_SERVERS is set but no Redis URL is configured")
    return found


def test_a_lock_has_one_holder_at_a_time_and_is_free_after(tmp_path):
    for store in _backends(tmp_path):
        name = f"test-lock-{time.time_ns()}"
        first = store.acquire(name, 30)
        assert first is not None
        assert store.acquire(name, 30) is None
        store.release(name, first)
        again = store.acquire(name, 30)
        assert again is not None
        store.release(name, again)


def test_a_redis_lock_of_a_holder_that_died_expires():
    url = _redis_url()
    if not url:
        pytest.skip("no Redis")
    store = RedisBackend(url)
    name = f"test-expire-{time.time_ns()}"
    assert store.acquire(name, 0.2) is not None
    time.sleep(0.4)
    token = store.acquire(name, 30)
    assert token is not None
    store.release(name, token)


def _hold(folder: str, name: str, ready: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    store = FileBackend(Path(folder))
    assert store.acquire(name, 30) is not None
    ready.set()
    time.sleep(60)


def test_a_file_lock_is_released_by_the_kernel_when_its_holder_dies(tmp_path):
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    proc = ctx.Process(target=_hold, args=(str(tmp_path), "dying", ready))
    proc.start()
    try:
        assert ready.wait(10)
        store = FileBackend(tmp_path)
        assert store.acquire("dying", 30) is None
        proc.kill()
        proc.join(10)
        token = store.acquire("dying", 30)
        assert token is not None
    finally:
        if proc.is_alive():
            proc.kill()


def test_the_bucket_lets_rate_calls_a_second_through_whoever_asks(tmp_path):
    for store in _backends(tmp_path):
        key = f"test-rate-{time.time_ns()}"
        now = 1_000_000.0
        # A burst of 3, then one call every 1/3 s: the waits queue up, they do not all retry at once.
        waits = [store.reserve(key, 3.0, 3.0, now) for _ in range(6)]
        assert waits[:3] == [0.0, 0.0, 0.0]
        assert waits[3:] == pytest.approx([1 / 3, 2 / 3, 1.0], abs=1e-6)
        # A second later one token has come back... and been lent already; two seconds: free again.
        assert store.reserve(key, 3.0, 3.0, now + 3.0) == 0.0


def _burst(folder: str, key: str, n: int, out: multiprocessing.queues.Queue) -> None:  # type: ignore[name-defined]
    store = FileBackend(Path(folder))
    out.put([store.reserve(key, 10.0, 1.0, 5_000.0) for _ in range(n)])


def test_processes_share_one_rate(tmp_path):
    """Four processes asking at the same instant for 10 calls each at 10 a second: the 40 turns
    are handed out once each — 0, 0.1, … 3.9 s — whichever process asked."""
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_burst, args=(str(tmp_path), "shared", 10, out)) for _ in range(4)]
    for p in procs:
        p.start()
    waits = sorted(w for _ in procs for w in out.get(timeout=30))
    for p in procs:
        p.join(10)
    assert waits == pytest.approx([i / 10 for i in range(40)], abs=1e-6)


@pytest.mark.django_db
def test_stamps_are_per_database_and_read_back(settings, tmp_path):
    settings.OTKLIK_DATA_DIR = tmp_path
    coordination.backend.cache_clear()
    try:
        coordination.stamp("beat", at=123.5)
        assert coordination.stamped_at("beat") == 123.5
        assert coordination.stamped_at("never") is None
    finally:
        coordination.backend.cache_clear()


def test_rate_limited_send_waits_its_turn(monkeypatch, tmp_path):
    slept: list[float] = []
    calls: list[str] = []
    store = FileBackend(tmp_path)
    monkeypatch.setattr(coordination, "backend", lambda: store)
    monkeypatch.setattr(coordination, "_ns", lambda name: name)
    monkeypatch.setattr(coordination, "time", type("Clock", (), {"time": staticmethod(lambda: 1000.0)}))
    send = coordination.rate_limited(
        lambda url: calls.append(url) or url, key="vk:x", rate=2.0, burst=1.0, sleep=slept.append
    )
    for i in range(3):
        send(f"/method/{i}")
    assert calls == ["/method/0", "/method/1", "/method/2"]
    # The clock stands still here: the second call waits half a second, the third a whole one.
    assert slept == [pytest.approx(0.5), pytest.approx(1.0)]
