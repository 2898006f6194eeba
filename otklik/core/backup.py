"""Backup and restore of one installation (issue 15 §7): ``otklik backup FILE``, ``otklik restore FILE``.

An archive is one ``.tar.gz`` with

* ``db/data.jsonl.gz`` — every row in Django's portable format (JSON Lines, natural keys for users,
  content types and permissions): it restores into SQLite or PostgreSQL alike, so an administration
  that outgrows the embedded SQLite moves to PostgreSQL with ``backup`` + ``restore``;
* a native copy of the database: ``db/otklik.sqlite3`` made with SQLite's online backup API, or
  ``db/otklik.pgdump`` (``pg_dump -Fc``) when ``pg_dump`` is installed — for the operator, and the
  source of the portable rows on SQLite;
* ``media/…`` — the protected files (attachments, stored reports) under ``MEDIA_ROOT``;
* ``models/…`` — the trained triage models (``OTKLIK_DATA_DIR/models``);
* ``manifest.json`` — versions (format, Otklik, Django, Python, database), the applied migrations,
  how the database was copied, and the size and SHA-256 of every other member.

The copy is consistent: on SQLite the rows are dumped from the online backup (one snapshot); on
PostgreSQL the rows and ``pg_dump`` read one exported snapshot (``REPEATABLE READ`` +
``pg_export_snapshot()``). Without ``pg_dump`` the rows are dumped alone in that transaction, and
the manifest says so.

Restoring verifies every checksum before it touches anything, refuses a database that already holds
data (unless ``--force``, which empties it first), creates the schema with ``migrate`` and loads
the rows. PostgreSQL does not store NUL characters, which SQLite accepts: they are replaced with
U+FFFD on the way in, and counted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import django
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "otklik-backup/1"
ROWS = "db/data.jsonl.gz"
SQLITE_COPY = "db/otklik.sqlite3"
PG_DUMP = "db/otklik.pgdump"
MANIFEST = "manifest.json"
#: Rebuilt by ``migrate`` in the target database (their ids differ there) or not worth keeping.
EXCLUDED = ("contenttypes", "auth.permission", "sessions")
REPLACEMENT = "\ufffd"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, in Russian."""


@dataclass
class RestoreResult:
    rows: int = 0
    files: int = 0
    nul_replaced: int = 0
    warnings: list[str] = field(default_factory=list)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("otklik")
    except PackageNotFoundError:
        return "unknown"


def _database_version() -> str:
    conn = connections[DEFAULT_DB_ALIAS]
    conn.ensure_connection()
    if conn.vendor == "postgresql":
        return f"PostgreSQL {getattr(conn, 'pg_version', '')}"
    return f"SQLite {getattr(getattr(conn, 'Database', None), 'sqlite_version', '')}"


def applied_migrations(alias: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    recorder = MigrationRecorder(connections[alias])
    if not recorder.has_table():
        return {}
    out: dict[str, list[str]] = {}
    for app, name in sorted(recorder.applied_migrations()):
        out.setdefault(app, []).append(name)
    return out


def _tree(root: Path) -> Iterator[Path]:
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield path


# -- backup -----------------------------------------------------------------------------------------


def _dump_rows(path: Path, alias: str) -> int:
    """Every row of ``alias`` as JSON Lines, gzip-compressed; returns the number of rows."""
    with gzip.open(path, "wt", encoding="utf-8") as out:
        call_command(
            "dumpdata",
            format="jsonl",
            database=alias,
            natural_foreign=True,
            natural_primary=True,
            exclude=list(EXCLUDED),
            stdout=out,
            verbosity=0,
        )
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


@contextlib.contextmanager
def _sqlite_alias(copy: Path) -> Iterator[str]:
    """A temporary connection (an alias known only while the dump runs) reading the SQLite copy."""
    from django.db.utils import load_backend

    alias = "otklik_backup_copy"
    settings_dict = {**connections[DEFAULT_DB_ALIAS].settings_dict, "NAME": str(copy), "OPTIONS": {}}
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias)
    setattr(connections._connections, alias, wrapper)  # type: ignore[attr-defined]
    try:
        yield alias
    finally:
        wrapper.close()
        delattr(connections._connections, alias)  # type: ignore[attr-defined]


def _backup_sqlite(work: Path) -> tuple[str, int]:
    import sqlite3

    conn = connections[DEFAULT_DB_ALIAS]
    conn.ensure_connection()
    copy = work / SQLITE_COPY
    copy.parent.mkdir(parents=True, exist_ok=True)
    target = sqlite3.connect(copy)
    try:
        conn.connection.backup(target)  # SQLite's online backup API: one consistent snapshot
    finally:
        target.close()
    with _sqlite_alias(copy) as alias:
        rows = _dump_rows(work / ROWS, alias)
    return "sqlite-online-backup", rows


def _pg_env(conn: Any) -> tuple[list[str], dict[str, str]]:
    params = conn.get_connection_params()
    args = ["--dbname", str(params.get("dbname") or conn.settings_dict["NAME"])]
    for flag, key in (("--host", "host"), ("--port", "port"), ("--username", "user")):
        if params.get(key):
            args += [flag, str(params[key])]
    env = dict(os.environ)
    if params.get("password"):
        env["PGPASSWORD"] = str(params["password"])
    return args, env


def _backup_postgresql(work: Path) -> tuple[str, int, str]:
    conn = connections[DEFAULT_DB_ALIAS]
    (work / "db").mkdir(parents=True, exist_ok=True)
    note = ""
    with transaction.atomic():
        with conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        method = "dumpdata-in-transaction"
        pg_dump = shutil.which("pg_dump")
        if pg_dump:
            args, env = _pg_env(conn)
            done = subprocess.run(
                [pg_dump, "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(work / PG_DUMP), *args],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode == 0:
                method = "pg_dump+dumpdata-one-snapshot"
            else:
                (work / PG_DUMP).unlink(missing_ok=True)
                note = f"pg_dump: {done.stderr.strip()[:500]}"
        else:
            note = "pg_dump не найден: сохранены только переносимые данные"
        rows = _dump_rows(work / ROWS, DEFAULT_DB_ALIAS)
    return method, rows, note


def backup(target: Path) -> dict[str, Any]:
    """Write the archive ``target`` (atomically: a partial file never has the final name)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    vendor = connections[DEFAULT_DB_ALIAS].vendor
    media_root = Path(settings.MEDIA_ROOT)
    models_root = Path(settings.OTKLIK_DATA_DIR) / "models"
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".otklik-backup-") as tmp:
        work = Path(tmp)
        note = ""
        if vendor == "sqlite":
            method, rows = _backup_sqlite(work)
        elif vendor == "postgresql":
            method, rows, note = _backup_postgresql(work)
        else:
            raise BackupError(f"Резервное копирование базы «{vendor}» не поддерживается.")
        members: list[tuple[str, Path]] = [
            (str(p.relative_to(work)), p) for p in (work / ROWS, work / SQLITE_COPY, work / PG_DUMP) if p.exists()
        ]
        members += [(f"media/{p.relative_to(media_root).as_posix()}", p) for p in _tree(media_root)]
        members += [(f"models/{p.relative_to(models_root).as_posix()}", p) for p in _tree(models_root)]
        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "versions": {
                "otklik": _version(),
                "django": django.get_version(),
                "python": platform.python_version(),
                "database": _database_version(),
            },
            "database": {"vendor": vendor, "method": method, "rows": rows, "note": note},
            "migrations": applied_migrations(),
            "files": {name: {"size": path.stat().st_size, "sha256": _sha256(path)} for name, path in members},
        }
        part = target.with_name(target.name + ".part")
        with tarfile.open(part, "w:gz") as tar:
            for name, path in members:
                tar.add(path, arcname=name, recursive=False)
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(dt.datetime.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
        os.replace(part, target)
    return manifest


# -- restore ----------------------------------------------------------------------------------------


def read_archive(archive: Path, into: Path) -> dict[str, Any]:
    """Unpack ``archive`` into ``into`` and verify it: the manifest, then every member's checksum."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(into, filter="data")  # no absolute paths, no "..", no links out
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"Архив не читается: {exc}") from exc
    try:
        manifest = json.loads((into / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError("В архиве нет описания (manifest.json): это не резервная копия Отклика.") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Неизвестный формат резервной копии: {manifest.get('format')!r}.")
    for name, meta in manifest.get("files", {}).items():
        path = into / name
        if not path.is_file():
            raise BackupError(f"В архиве нет файла {name}, указанного в описании.")
        if path.stat().st_size != meta["size"] or _sha256(path) != meta["sha256"]:
            raise BackupError(f"Контрольная сумма не совпадает: {name}. Архив повреждён, восстановление отменено.")
    if ROWS not in manifest.get("files", {}):
        raise BackupError("В архиве нет данных базы (db/data.jsonl.gz).")
    return manifest


def _project_models() -> list[Any]:
    excluded_apps = {"contenttypes", "sessions"}
    return [
        m
        for m in apps.get_models()
        if m._meta.app_label not in excluded_apps
        and m._meta.managed
        and not m._meta.proxy
        and m._meta.label_lower != "auth.permission"
    ]


def database_has_data() -> bool:
    return any(model._base_manager.exists() for model in _project_models())


def _clean(value: Any) -> tuple[Any, int]:
    """``value`` with NUL characters replaced (PostgreSQL stores none), and how many there were."""
    if isinstance(value, str):
        n = value.count("\x00")
        return (value.replace("\x00", REPLACEMENT), n) if n else (value, 0)
    if isinstance(value, list):
        total, out = 0, []
        for item in value:
            cleaned, n = _clean(item)
            out.append(cleaned)
            total += n
        return out, total
    if isinstance(value, dict):
        total, res = 0, {}
        for key, item in value.items():
            ckey, nk = _clean(key)
            cleaned, n = _clean(item)
            res[ckey] = cleaned
            total += n + nk
        return res, total
    return value, 0


def _prepared_rows(source: Path, target: Path, *, strip_nul: bool) -> tuple[int, int]:
    rows = replaced = 0
    with gzip.open(source, "rt", encoding="utf-8") as fh, target.open("w", encoding="utf-8") as out:
        for line in fh:
            if not line.strip():
                continue
            rows += 1
            if strip_nul and "\\u0000" in line:
                obj, n = _clean(json.loads(line))
                replaced += n
                line = json.dumps(obj, ensure_ascii=False) + "\n"
            out.write(line)
    return rows, replaced


def _flush() -> None:
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=False)


def _file_plan(work: Path, force: bool) -> list[tuple[Path, Path]]:
    """(from the archive, to its place) for media and models; an existing file is a refusal
    without ``--force``, found before anything is written."""
    roots = ((work / "media", Path(settings.MEDIA_ROOT)), (work / "models", Path(settings.OTKLIK_DATA_DIR) / "models"))
    plan = [(path, root / path.relative_to(source)) for source, root in roots for path in _tree(source)]
    existing = [dest for _, dest in plan if dest.exists()]
    if existing and not force:
        raise BackupError(
            f"Файлы уже существуют ({len(existing)}, например {existing[0]}). Укажите --force, чтобы заменить их."
        )
    return plan


def restore(archive: Path, *, force: bool = False, migrate: bool = True) -> RestoreResult:
    """Read ``archive`` back into the configured database and data directories."""
    result = RestoreResult()
    data_dir = Path(settings.OTKLIK_DATA_DIR)
    with tempfile.TemporaryDirectory(dir=data_dir, prefix=".otklik-restore-") as tmp:
        work = Path(tmp)
        manifest = read_archive(Path(archive), work)
        if migrate:
            call_command("migrate", interactive=False, verbosity=0)
        known = applied_migrations()
        unknown = sorted(
            f"{app}.{name}"
            for app, names in manifest.get("migrations", {}).items()
            for name in names
            if name not in set(known.get(app, []))
        )
        if unknown:
            raise BackupError(
                "Копия сделана более новой версией Отклика (миграции, которых здесь нет: "
                + ", ".join(unknown[:5])
                + "). Обновите программу и повторите."
            )
        full = database_has_data()
        if full and not force:
            raise BackupError(
                "База данных не пуста: восстановление отменено. Укажите --force, чтобы заменить её содержимое."
            )
        plan = _file_plan(work, force)
        if full:
            _flush()
        vendor = connections[DEFAULT_DB_ALIAS].vendor
        fixture = work / "rows.jsonl"
        result.rows, result.nul_replaced = _prepared_rows(work / ROWS, fixture, strip_nul=vendor == "postgresql")
        if result.nul_replaced:
            result.warnings.append(
                f"Символы NUL ({result.nul_replaced}) заменены на «{REPLACEMENT}»: PostgreSQL их не хранит."
            )
        with transaction.atomic():
            call_command("loaddata", str(fixture), verbosity=0)
        for path, dest in plan:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
        result.files = len(plan)
        source = manifest.get("database", {}).get("vendor")
        if source and source != vendor:
            result.warnings.append(f"Данные перенесены из {source} в {vendor}.")
    return result
