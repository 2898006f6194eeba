"""The real task engine: a Celery worker process takes a task from the configured broker.

On the embedded default the broker is SQLite through kombu's SQLAlchemy transport; on CI's second
run it is Redis. A broker server that is configured but unreachable fails the test when
OTKLIK_REQUIRE_SERVERS=1 (CI), and skips it otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery

pytestmark = pytest.mark.xdist_group("celery")


def _broker_url(tmp_path: Path) -> str:
    configured = os.environ.get("OTKLIK_BROKER_URL", "")
    if configured:
        return configured
    return f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"


def _require_reachable(url: str) -> None:
    if not url.startswith("redis://"):
        return
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:
        if os.environ.get("OTKLIK_REQUIRE_SERVERS") == "1":
            pytest.fail(f"Redis is configured ({url}) but unreachable: {exc}")
        pytest.skip(f"Redis not reachable: {exc}")


def test_worker_executes_a_task_sent_through_the_broker(tmp_path: Path) -> None:
    url = _broker_url(tmp_path)
    _require_reachable(url)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = dict(
        os.environ,
        OTKLIK_BROKER_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        OTKLIK_DATA_DIR=str(tmp_path),
        OTKLIK_CELERY_EAGER="0",
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        sender = Celery("sender", broker=url)
        marker = tmp_path / "marker.txt"
        sender.send_task("otklik.core.tasks.ping", args=[str(marker), "отклик"], queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not marker.exists():
            if worker.poll() is not None:
                break
            time.sleep(0.2)
        if not marker.exists():
            worker.terminate()
            out = worker.communicate(timeout=10)[0].decode(errors="replace")
            pytest.fail(f"the worker did not run the task; its output:\n{out[-3000:]}")
        assert marker.read_text(encoding="utf-8") == "отклик"
    finally:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
