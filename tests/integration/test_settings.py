"""Settings from the environment: safe embedded defaults, and production refusing a dev secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

CODE = "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"


def _run(env_extra: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTKLIK_")}
    env.update({"OTKLIK_DATA_DIR": str(tmp_path), **env_extra})
    return subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True, timeout=120)


def test_production_refuses_to_start_without_a_real_secret_key(tmp_path: Path) -> None:
    result = _run({"DJANGO_SETTINGS_MODULE": "config.settings.production"}, tmp_path)
    assert result.returncode != 0
    assert "OTKLIK_SECRET_KEY" in result.stderr


def test_production_starts_with_a_real_secret_key(tmp_path: Path) -> None:
    result = _run({"DJANGO_SETTINGS_MODULE": "config.settings.production", "OTKLIK_SECRET_KEY": "x" * 50}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "sqlite3" in result.stdout


def test_database_url_selects_postgresql(tmp_path: Path) -> None:
    result = _run(
        {"DJANGO_SETTINGS_MODULE": "config.settings.dev", "OTKLIK_DATABASE_URL": "postgres://u@127.0.0.1:5432/x"},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "postgresql" in result.stdout


def test_console_script_runs_our_commands(tmp_path: Path) -> None:
    otklik = Path(sys.executable).with_name("otklik")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTKLIK_")}
    env.update({"OTKLIK_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.dev"})
    result = subprocess.run(
        [str(otklik), "deadline", "--limit", "answer", "--from", "2026-12-07T10:00:00+09:00"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2026-12-08T11:00:00+09:00"


@pytest.mark.django_db
def test_the_database_is_configured_as_the_architecture_requires() -> None:
    """SQLite runs in WAL mode (web, worker and beat share it); PostgreSQL is 15 or newer."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0].lower() == "wal"
        else:
            assert connection.vendor == "postgresql"
            assert connection.pg_version >= 150000


def _settings(env_extra: dict[str, str], tmp_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTKLIK_")}
    env.update({"OTKLIK_DATA_DIR": str(tmp_path), **env_extra})
    program = "import django, json; django.setup(); from django.conf import settings; " + code
    return subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=120)


PRODUCTION = {"DJANGO_SETTINGS_MODULE": "config.settings.production", "OTKLIK_SECRET_KEY": "x" * 50}


def test_production_keeps_files_on_local_disk_or_on_s3_when_a_bucket_is_named(tmp_path: Path) -> None:
    show = "print(json.dumps(settings.STORAGES, default=str))"
    local = _settings(PRODUCTION, tmp_path, show)
    assert local.returncode == 0, local.stderr
    assert '"django.core.files.storage.FileSystemStorage"' in local.stdout
    assert "ForgivingManifestStorage" in local.stdout  # whitenoise: hashed, compressed, forgiving
    s3 = _settings(
        {
            **PRODUCTION,
            "OTKLIK_MEDIA_S3_BUCKET": "otklik-media",
            "OTKLIK_MEDIA_S3_ENDPOINT_URL": "https://s3.example.ru",
        },
        tmp_path,
        show,
    )
    assert s3.returncode == 0, s3.stderr
    assert "storages.backends.s3.S3Storage" in s3.stdout and "otklik-media" in s3.stdout
    assert "https://s3.example.ru" in s3.stdout


def test_production_logs_json_lines_and_sessions_can_live_in_redis(tmp_path: Path) -> None:
    code = "print(settings.LOGGING['handlers']['console']['formatter'], settings.SESSION_ENGINE)"
    default = _settings(PRODUCTION, tmp_path, code)
    assert default.stdout.split() == ["json", "otklik.security.sessions"], default.stderr
    redis = _settings(
        {**PRODUCTION, "OTKLIK_SESSIONS": "redis", "OTKLIK_REDIS_URL": "redis://127.0.0.1:6379/9"}, tmp_path, code
    )
    assert redis.stdout.split() == ["json", "django.contrib.sessions.backends.cache"], redis.stderr
    missing = _settings({**PRODUCTION, "OTKLIK_SESSIONS": "redis"}, tmp_path, code)
    assert missing.returncode != 0 and "OTKLIK_REDIS_URL" in missing.stderr


def test_tasks_go_to_the_queue_of_their_kind(tmp_path: Path) -> None:
    code = (
        "from config.celery import app; r = app.amqp.router; "
        "print(' '.join(r.route({}, n)['queue'].name for n in ['otklik.sources.tasks.poll_source', "
        "'otklik.triage.tasks.label_decisions', 'otklik.cases.tasks.publish_answer', "
        "'otklik.notify.tasks.send_reminders', 'otklik.reports.tasks.monthly_dispatch', 'otklik.sla.tasks.sweep_breaches', "
        "'otklik.core.tasks.ping']))"
    )
    result = _settings({"DJANGO_SETTINGS_MODULE": "config.settings.dev"}, tmp_path, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ingest", "triage", "publish", "notify", "reports", "notify", "celery"]


def test_database_connections_keep_and_postgresql_gets_its_planner_settings(tmp_path: Path) -> None:
    """SQLite keeps its connection between requests, as PostgreSQL does; PostgreSQL's sessions get
    random_page_cost 1.1 and no parallel workers unless the variables say otherwise (empty: the
    server's own value), and a value that is not a number stops the start with an error that
    names the variable."""
    code = "d = settings.DATABASES['default']; print(d['CONN_MAX_AGE'], '|', d.get('OPTIONS', {}).get('options', ''))"
    sqlite = _settings(PRODUCTION, tmp_path, code)
    assert sqlite.stdout.split("|")[0].strip() == "60", sqlite.stderr
    pg = {**PRODUCTION, "OTKLIK_DATABASE_URL": "postgres://otklik@127.0.0.1:5432/otklik"}
    default = _settings(pg, tmp_path, code)
    assert default.stdout.strip() == "60 | -c random_page_cost=1.1 -c max_parallel_workers_per_gather=0", default.stderr
    spinning = _settings({**pg, "OTKLIK_PG_RANDOM_PAGE_COST": "4", "OTKLIK_PG_PARALLEL_WORKERS": "2"}, tmp_path, code)
    assert spinning.stdout.strip() == "60 | -c random_page_cost=4.0 -c max_parallel_workers_per_gather=2", (
        spinning.stderr
    )
    server = _settings({**pg, "OTKLIK_PG_RANDOM_PAGE_COST": "", "OTKLIK_PG_PARALLEL_WORKERS": ""}, tmp_path, code)
    assert server.stdout.strip() == "60 |", server.stderr
    wrong = _settings({**pg, "OTKLIK_PG_RANDOM_PAGE_COST": "fast"}, tmp_path, code)
    assert wrong.returncode != 0 and "OTKLIK_PG_RANDOM_PAGE_COST must be a number" in wrong.stderr
    many = _settings({**pg, "OTKLIK_PG_PARALLEL_WORKERS": "1.5"}, tmp_path, code)
    assert many.returncode != 0 and "OTKLIK_PG_PARALLEL_WORKERS must be a whole number (e.g. 0)" in many.stderr
