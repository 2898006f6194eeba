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
