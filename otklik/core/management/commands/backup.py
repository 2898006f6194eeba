"""``otklik backup FILE``: one consistent archive of the database, protected files and triage models.

See ``otklik.core.backup`` for what is in it. Prints a summary; exit code 2 with a Russian message
when the backup cannot be made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Резервная копия: база данных, файлы (вложения, справки) и модели разбора в одном архиве."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Файл архива, например otklik-2026-12-02.tar.gz")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup(Path(options["file"]))
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        db = manifest["database"]
        files = manifest["files"]
        media = sum(1 for name in files if name.startswith("media/"))
        models = sum(1 for name in files if name.startswith("models/"))
        self.stdout.write(
            f"Резервная копия: {options['file']}\n"
            f"  база: {db['vendor']}, способ: {db['method']}, строк: {db['rows']}\n"
            f"  файлов: {media}, моделей разбора: {models}"
        )
        if db.get("note"):
            self.stderr.write(f"  примечание: {db['note']}")
