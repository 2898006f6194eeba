"""``otklik restore FILE [--force]``: read a backup archive back (into SQLite or PostgreSQL).

Checksums are verified first; a database that holds data is refused unless ``--force`` (which
empties it). Exit code 2 with a Russian message on any refusal; nothing is changed then.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Восстановить из резервной копии (otklik backup): базу данных, файлы и модели разбора."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Архив, сделанный командой otklik backup")
        parser.add_argument(
            "--force", action="store_true", help="Заменить содержимое непустой базы и существующие файлы"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Файл не найден: {path}", returncode=2)
        try:
            result = restore(path, force=options["force"])
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(f"Восстановлено: строк {result.rows}, файлов {result.files}.")
        for warning in result.warnings:
            self.stderr.write(warning)
