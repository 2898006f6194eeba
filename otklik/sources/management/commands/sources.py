"""``otklik sources check | import | poll``: the operator's tools for message sources.

- ``check``: credentials and reachability of every enabled network source, one line each with what
  the network said (the community's name, the bot's username, its rights) and any warning; exits 1
  naming the failing ones; with none configured says so and exits 0;
- ``import FILE --source ID --format csv|xlsx|jsonl --mapping JSON [--dry-run]``: the same import
  as the «Импорт сообщений из файла» page; prints the report;
- ``poll [--source ID]``: poll now, synchronously (all due-or-not enabled network sources).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from otklik.inbox.actions import Provenance
from otklik.inbox.models import Message, Source
from otklik.sources import polling
from otklik.sources.errors import SourceError


class Command(BaseCommand):
    help = "Источники сообщений: проверка доступа, импорт файла, опрос."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("check", help="проверить доступ ко всем включённым источникам")
        imp = sub.add_parser("import", help="импортировать сообщения из файла CSV, XLSX или JSONL")
        imp.add_argument("file")
        imp.add_argument("--source", type=int, required=True, help="id источника (вид «Импорт файлов»)")
        imp.add_argument("--format", choices=["csv", "xlsx", "jsonl"], default=None)
        imp.add_argument(
            "--mapping",
            required=True,
            help='сопоставление полей и столбцов в JSON, например {"text": "Текст", "external_id": "id"}',
        )
        imp.add_argument("--dry-run", action="store_true", help="только проверить, ничего не записывать")
        imp.add_argument("--tz", default=None, help="часовой пояс дат без пояса (по умолчанию — администрации)")
        imp.add_argument("--user", default=None, help="кто вносит сообщения (имя пользователя): записывается у них")
        poll = sub.add_parser("poll", help="опросить источники сейчас")
        poll.add_argument("--source", type=int, default=None)

    def handle(self, *args: Any, **opts: Any) -> None:
        getattr(self, f"do_{opts['action']}")(**opts)

    # --- check ----------------------------------------------------------------------------------

    def do_check(self, **opts: Any) -> None:
        sources = list(polling.checked_sources())
        if not sources:
            self.stdout.write("Источники не настроены")
            return
        failed: list[str] = []
        for source in sources:
            report, error = polling.check_source_report(source)
            label = f"{source.name} (#{source.pk}, {source.get_kind_display()})"
            if error:
                failed.append(f"«{source.name}» (#{source.pk})")
                self.stdout.write(f"ОШИБКА  {label}: {error}")
                continue
            found = "; ".join(report.found) if report is not None else ""
            self.stdout.write(f"OK      {label}: {found}" if found else f"OK      {label}")
            for warning in report.warnings if report is not None else []:
                self.stdout.write(f"  ВНИМАНИЕ: {warning}")
        if failed:
            self.stderr.write(f"Не работают источники: {', '.join(failed)}")
            sys.exit(1)

    # --- import ---------------------------------------------------------------------------------

    def do_import(self, **opts: Any) -> None:
        from otklik.sources.importing import import_file

        source = Source.objects.select_related("administration").filter(pk=opts["source"]).first()
        if source is None:
            raise CommandError(f"Источник #{opts['source']} не найден.")
        try:
            mapping = json.loads(opts["mapping"])
        except ValueError as exc:
            raise CommandError(f"--mapping: неверный JSON ({exc})") from exc
        if not isinstance(mapping, dict):
            raise CommandError("--mapping: ожидается объект JSON «поле: столбец»")
        user_id = None
        if opts["user"]:
            from django.contrib.auth import get_user_model

            user = get_user_model().objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(f"--user: пользователь «{opts['user']}» не найден.")
            user_id = user.pk
        try:
            report = import_file(
                source=source,
                path_or_file=opts["file"],
                format=opts["format"],
                mapping={str(k): str(v) for k, v in mapping.items()},
                dry_run=opts["dry_run"],
                tz=opts["tz"],
                brought=Provenance(Message.BroughtVia.FILE, user_id=user_id),
            )
        except SourceError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(("Проверка без записи. " if report.dry_run else "") + report.summary())
        for row, reason in report.errors[:1000]:
            self.stdout.write(f"  строка {row}: {reason}")
        if report.error_count > 1000:
            self.stdout.write(f"  … и ещё {report.error_count - 1000}")

    # --- poll -----------------------------------------------------------------------------------

    def do_poll(self, **opts: Any) -> None:
        if opts["source"]:
            sources = list(Source.objects.filter(pk=opts["source"]))
            if not sources:
                raise CommandError(f"Источник #{opts['source']} не найден.")
        else:
            sources = polling.polled_sources()
        if not sources:
            self.stdout.write("Источники не настроены")
            return
        failed = 0
        for source in sources:
            try:
                result = polling.poll_source(source)
            except Exception as exc:  # recorded on the source; go on with the others
                self.stdout.write(f"{source.name}: ОШИБКА — {exc}")
                failed += 1
                continue
            failed += 0 if result.ok or not result.polled else 1
            self.stdout.write(result.line())
        if failed:
            sys.exit(1)
