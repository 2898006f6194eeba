"""``otklik privacy apply [--dry-run] [--administration SLUG]`` and
``otklik privacy export --administration SLUG --network NET (--author-id ID | --author-name NAME) -o FILE``.

``apply`` runs the retention policy now (beat runs it daily) and prints what it did (or would do);
``export`` writes one citizen's data as a ZIP and records the export. Errors: a Russian message on
stderr and exit code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.core.errors import ValidationFailed
from otklik.organization.models import Administration


def _administration(slug: str | None) -> Administration | None:
    if not slug:
        return None
    adm = Administration.objects.filter(slug=slug).first()
    if adm is None:
        raise CommandError(f"Администрация «{slug}» не найдена.", returncode=2)
    return adm


class Command(BaseCommand):
    help = "Персональные данные: применить политику хранения или выгрузить данные гражданина."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        apply = sub.add_parser("apply", help="Обезличить данные авторов по политике хранения")
        apply.add_argument("--dry-run", action="store_true", help="Только посчитать, ничего не менять")
        apply.add_argument("--administration", help="Краткое имя (slug) администрации; без него — все")
        export = sub.add_parser("export", help="Выгрузить данные одного автора (ZIP)")
        export.add_argument("--administration", help="Краткое имя (slug); можно не указывать, если она одна")
        export.add_argument("--network", default="", help="Сеть: vk, ok, telegram, max, …")
        export.add_argument("--author-id", default="", help="Идентификатор автора в сети")
        export.add_argument("--author-name", default="", help="Имя автора, как в сообщениях")
        export.add_argument("--reason", default="", help="Основание: запрос гражданина (номер, дата)")
        export.add_argument("-o", "--output", required=True, help="Файл ZIP")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "apply":
            self._apply(options)
        else:
            self._export(options)

    def _apply(self, options: dict[str, Any]) -> None:
        from otklik.privacy.retention import apply_retention

        runs = apply_retention(
            dry_run=options["dry_run"], administration=_administration(options["administration"]), trigger="command"
        )
        verb = "будет обезличено" if options["dry_run"] else "обезличено"
        for run in runs:
            line = (
                f"{run.administration.slug}: {verb} сообщений {run.messages}, авторов {run.authors}, "
                f"очищено изменений {run.revisions}"
            )
            self.stdout.write(line + (f" — {run.error}" if run.error else ""))

    def _export(self, options: dict[str, Any]) -> None:
        from otklik.privacy.export import AuthorQuery, export_author

        adm = _administration(options["administration"])
        if adm is None:
            active = list(Administration.objects.filter(is_active=True)[:2])
            if len(active) != 1:
                raise CommandError("Укажите --administration: администраций несколько или нет ни одной.", returncode=2)
            adm = active[0]
        query = AuthorQuery(options["network"], options["author_id"], options["author_name"])
        try:
            content, record = export_author(
                administration=adm, query=query, channel="command", reason=options["reason"]
            )
        except ValidationFailed as exc:
            raise CommandError(exc.message, returncode=2) from exc
        Path(options["output"]).write_bytes(content)
        self.stdout.write(f"Выгружено: сообщений {record.messages}, обращений {record.cases} → {options['output']}")
