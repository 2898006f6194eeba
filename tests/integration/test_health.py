"""``/healthz``, request ids in structured logs, and static files that forgive a missing asset."""

from __future__ import annotations

import json
import logging
import time

import pytest
from django.test import Client

from otklik.core import coordination
from otklik.core.health import STALE_AFTER


@pytest.fixture
def stamps(settings, tmp_path):
    settings.OTKLIK_DATA_DIR = tmp_path
    settings.OTKLIK_REDIS_URL = ""
    settings.CELERY_BROKER_URL = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    coordination.backend.cache_clear()
    yield
    coordination.backend.cache_clear()


@pytest.mark.django_db
def test_healthz_names_what_is_missing_and_is_ok_when_worker_and_beat_are_alive(stamps, settings):
    client = Client()
    r = client.get("/healthz")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert "ingest" in body["checks"]["workers"]["error"]
    assert body["checks"]["beat"]["ok"] is False
    now = time.time()
    for queue in settings.OTKLIK_QUEUES:
        coordination.stamp(f"worker:{queue}", at=now)
    coordination.stamp("beat", at=now)
    r = client.get("/healthz")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "ok"
    # A queue nobody has taken from for longer than three heartbeats fails the check, by name.
    coordination.stamp("worker:reports", at=now - STALE_AFTER - 1)
    r = client.get("/healthz")
    assert r.status_code == 503
    assert "reports" in r.json()["checks"]["workers"]["error"]
    assert "ingest" not in r.json()["checks"]["workers"]["error"]


@pytest.mark.django_db
def test_healthz_for_a_load_balancer_checks_only_the_database(stamps):
    r = Client().get("/healthz?scope=web")
    assert r.status_code == 200
    assert set(r.json()["checks"]) == {"database"}


@pytest.mark.django_db
def test_heartbeat_task_stamps_its_queue(stamps):
    from otklik.core.tasks import heartbeat

    heartbeat.apply(queue="publish")  # eager: delivery info says which queue
    assert coordination.stamped_at("worker") is not None


@pytest.mark.django_db
def test_every_response_carries_a_request_id_and_keeps_a_valid_incoming_one():
    client = Client()
    made = client.get("/accounts/login/")["X-Request-ID"]
    assert len(made) == 32
    assert client.get("/accounts/login/", headers={"X-Request-ID": "nginx-abc123"})["X-Request-ID"] == "nginx-abc123"
    bad = client.get("/accounts/login/", headers={"X-Request-ID": "x" * 200 + "\n"})["X-Request-ID"]
    assert bad != "x" * 200 and len(bad) == 32


def test_json_log_lines_carry_the_request_id_and_extras():
    from otklik.core.logs import JsonFormatter, RequestIdFilter, request_id_var

    record = logging.LogRecord("otklik.request", logging.INFO, __file__, 1, "GET %s %s", ("/board/", 200), None)
    record.status = 200
    token = request_id_var.set("req-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "GET /board/ 200"
    assert line["request_id"] == "req-1"
    assert line["status"] == 200
    assert line["level"] == "INFO" and line["ts"].endswith("Z")


def test_the_request_id_travels_into_a_task():
    from otklik.core.logs import TASK_HEADER, connect_celery_signals, request_id_var

    connect_celery_signals()
    from celery import signals

    headers: dict[str, str] = {}
    token = request_id_var.set("req-77")
    try:
        signals.before_task_publish.send(sender="x", headers=headers)
    finally:
        request_id_var.reset(token)
    assert headers[TASK_HEADER] == "req-77"


def test_a_missing_optional_static_file_never_breaks_a_page(tmp_path, settings):
    from otklik.core.staticfiles import ForgivingManifestStorage

    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "app.css").write_text("body{}")
    storage = ForgivingManifestStorage(location=tmp_path, base_url="/static/")
    # No manifest, no file: the plain URL (a 404 for that one script), not a ValueError.
    assert storage.url("htmx/htmx.min.js") == "/static/htmx/htmx.min.js"
