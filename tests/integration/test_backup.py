"""Issue 15 §7: ``otklik backup`` writes one consistent archive (database, protected files, triage
models, a manifest with versions and checksums); ``otklik restore`` reads it back, refuses a
non-empty database without ``--force`` and a damaged archive always; a backup of SQLite restores
into PostgreSQL (and back), NUL characters included.

Each test runs on the database the suite runs on (CI runs it on SQLite and on PostgreSQL); the
cross-database test restores into the other kind in a separate process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from otklik.cases import actions
from otklik.cases.models import Case, CaseEvent
from otklik.core.backup import MANIFEST, BackupError, backup, restore
from otklik.inbox.models import Message, Source
from otklik.organization.models import Membership
from tests.conftest import make_org

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("backup")]


@pytest.fixture
def data_dir(tmp_path: Path, settings: Any) -> Path:
    settings.OTKLIK_DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "data" / "media"
    (tmp_path / "data" / "models").mkdir(parents=True)
    (tmp_path / "data" / "models" / "gz.pkl").write_bytes(b"trained model bytes")
    (tmp_path / "data" / "media" / "cases" / "1").mkdir(parents=True)
    (tmp_path / "data" / "media" / "cases" / "1" / "photo.jpg").write_bytes(b"\xff\xd8\xff photo")
    return tmp_path / "data"


def seed(text: str = "Прорвало трубу на ул. Ленина") -> dict[str, Any]:
    org = make_org()
    source = Source.objects.create(administration=org.adm, name="Группа", kind=Source.Kind.MANUAL, network="other")
    message = Message.objects.create(
        administration=org.adm,
        source=source,
        network="other",
        external_id="m-1",
        author_name="Иван Петров",
        author_id="id42",
        text=text,
        raw={"from": {"id": 42, "name": "Иван Петров"}, "text": text},
        received_at=timezone.now(),
    )
    case = actions.case_detect(message=message, actor=org.actor("curator"))
    actions.case_triage(
        case=case, actor=org.actor("curator"), data=actions.TriageData(summary="Нет воды", importance="high")
    )
    return {"org": org, "case": case, "message": message}


def counts() -> dict[str, int]:
    return {
        "cases": Case.objects.count(),
        "events": CaseEvent.objects.count(),
        "messages": Message.objects.count(),
        "memberships": Membership.objects.count(),
    }


def test_backup_writes_database_files_models_and_a_manifest_with_checksums(data_dir, tmp_path):
    seed()
    archive = tmp_path / "backup.tar.gz"
    manifest = backup(archive)
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        stored = json.loads(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
    assert stored == manifest
    assert {"db/data.jsonl.gz", "media/cases/1/photo.jpg", "models/gz.pkl", MANIFEST} <= names
    vendor = connection.vendor
    assert manifest["database"]["vendor"] == vendor
    if vendor == "sqlite":
        assert "db/otklik.sqlite3" in names and manifest["database"]["method"] == "sqlite-online-backup"
    else:
        assert manifest["database"]["method"] in ("pg_dump+dumpdata-one-snapshot", "dumpdata-in-transaction")
    assert set(manifest["files"]) == names - {MANIFEST}
    assert all(len(meta["sha256"]) == 64 for meta in manifest["files"].values())
    assert manifest["versions"]["django"] and manifest["migrations"]["cases"]
    assert not list(tmp_path.glob("*.part"))


def test_restore_refuses_a_database_with_data_unless_forced_and_then_brings_everything_back(data_dir, tmp_path):
    seed()
    before = counts()
    archive = tmp_path / "backup.tar.gz"
    backup(archive)
    with pytest.raises(BackupError, match="База данных не пуста"):
        restore(archive)
    # Change things after the backup: the forced restore puts the backed-up state back.
    Case.objects.update(summary="Изменено после копии")
    (data_dir / "media" / "cases" / "1" / "photo.jpg").write_bytes(b"overwritten")
    (data_dir / "models" / "gz.pkl").unlink()
    result = restore(archive, force=True)
    assert counts() == before
    assert result.rows > 0 and result.files == 2
    case = Case.objects.get()
    assert case.summary == "Нет воды"
    assert case.events.filter(action="triage").get().payload["changes"]["summary"]["to"] == "Нет воды"
    assert (data_dir / "media" / "cases" / "1" / "photo.jpg").read_bytes() == b"\xff\xd8\xff photo"
    assert (data_dir / "models" / "gz.pkl").read_bytes() == b"trained model bytes"
    # New rows get new ids after a restore (sequences follow the loaded rows).
    assert Message.objects.create(
        administration=case.administration,
        source=Source.objects.get(),
        network="other",
        external_id="m-2",
        text="Ещё",
        received_at=case.detected_at,
    ).pk


def test_a_damaged_archive_is_refused_before_anything_changes(data_dir, tmp_path):
    seed()
    archive = tmp_path / "backup.tar.gz"
    backup(archive)
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    (unpacked / "media" / "cases" / "1" / "photo.jpg").write_bytes(b"\xff\xd8\xff tampered")
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(damaged, "w:gz") as tar:
        for path in sorted(unpacked.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=str(path.relative_to(unpacked)))
    Case.objects.update(summary="После копии")
    with pytest.raises(BackupError, match=r"Контрольная сумма не совпадает: media/cases/1/photo\.jpg"):
        restore(damaged, force=True)
    assert Case.objects.get().summary == "После копии"
    not_a_backup = tmp_path / "x.tar.gz"
    not_a_backup.write_bytes(b"not an archive")
    with pytest.raises(BackupError, match="Архив не читается"):
        restore(not_a_backup, force=True)


def test_the_commands_report_and_refuse_in_russian(data_dir, tmp_path, capsys):
    seed()
    archive = tmp_path / "cmd.tar.gz"
    call_command("backup", str(archive))
    assert "Резервная копия" in capsys.readouterr().out
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="База данных не пуста"):
        call_command("restore", str(archive))
    with pytest.raises(CommandError, match="Файл не найден"):
        call_command("restore", str(tmp_path / "missing.tar.gz"))


# -- across databases -------------------------------------------------------------------------------


def _postgres_admin_url() -> str | None:
    url = os.environ.get("OTKLIK_TEST_POSTGRES_URL") or os.environ.get("OTKLIK_DATABASE_URL", "")
    if not url.startswith("postgres"):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    try:
        import psycopg

        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=3):
            return url.rsplit("/", 1)[0]
    except Exception:
        return None


def _otklik(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otklik.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_a_backup_restores_into_the_other_kind_of_database(data_dir, tmp_path):
    """SQLite → PostgreSQL (the suite on SQLite), PostgreSQL → SQLite (the suite on PostgreSQL)."""
    on_sqlite = connection.vendor == "sqlite"
    # SQLite keeps NUL characters, PostgreSQL stores none: the restore replaces them.
    seed("Нет воды\x00 на ул. Ленина" if on_sqlite else "Нет воды на ул. Ленина")
    before = counts()
    archive = tmp_path / "cross.tar.gz"
    backup(archive)

    env = {k: v for k, v in os.environ.items() if not k.startswith("OTKLIK_")}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.test", "OTKLIK_DATA_DIR": str(tmp_path / "target")}
    database = None
    if on_sqlite:
        server = _postgres_admin_url()
        if server is None:
            if os.environ.get("OTKLIK_REQUIRE_SERVERS"):
                pytest.fail("PostgreSQL is required (OTKLIK_REQUIRE_SERVERS) but not reachable")
            pytest.skip("no PostgreSQL server to restore into")
        import psycopg

        database = f"otklik_restore_{os.getpid()}"
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
            admin.execute(f'CREATE DATABASE "{database}"')
        env["OTKLIK_DATABASE_URL"] = f"{server}/{database}"
    try:
        done = _otklik(env, "restore", str(archive))
        assert done.returncode == 0, done.stderr
        assert "Восстановлено" in done.stdout
        if on_sqlite:
            assert re.search(r"Символы NUL \(\d+\) заменены", done.stderr)  # text, raw payload, search copy
        probe = (
            "import json; from otklik.cases.models import Case, CaseEvent; from otklik.inbox.models import Message;"
            "from otklik.organization.models import Membership; from django.db import connection;"
            "m = Message.objects.get();"
            "print(json.dumps({'vendor': connection.vendor, 'cases': Case.objects.count(),"
            " 'events': CaseEvent.objects.count(), 'messages': Message.objects.count(),"
            " 'memberships': Membership.objects.count(), 'text': m.text, 'raw': m.raw['text'],"
            " 'summary': Case.objects.get().summary}))"
        )
        shown = _otklik(env, "shell", "-c", probe)
        assert shown.returncode == 0, shown.stderr
        got = json.loads(shown.stdout.strip().splitlines()[-1])
        assert got["vendor"] == ("postgresql" if on_sqlite else "sqlite")
        assert {k: got[k] for k in before} == before
        expected = "Нет воды\ufffd на ул. Ленина" if on_sqlite else "Нет воды на ул. Ленина"
        assert got["text"] == got["raw"] == expected
        assert got["summary"] == "Нет воды"
        assert (tmp_path / "target" / "media" / "cases" / "1" / "photo.jpg").exists()
        # A second restore into the now full database is refused.
        again = _otklik(env, "restore", str(archive))
        assert again.returncode == 2 and "--force" in again.stderr
    finally:
        if database is not None:
            import psycopg

            with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
