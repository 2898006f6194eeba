"""``otklik triage``: triage JSONL messages, or train the topic model.

    otklik triage [--model PATH] [--rubric FILE] [--gazetteer FILE] [--ner] [FILE|-]
    otklik triage train FILE --model PATH

A thin wrapper over ``otklik.triage.engine.batch``. Without a database (or with empty tables)
the shipped default rubric and gazetteer are used.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.triage.engine import Gazetteer, RepeatIndex, Rubric, TriageConfig, Triager
from otklik.triage.engine.batch import run_jsonl, train_jsonl


def _db_triager_parts() -> tuple[Any, Any, RepeatIndex | None]:
    """Rubric, gazetteer and earlier cases from the database, if it has them (phase 2)."""
    try:
        from otklik.triage import services

        return services.cli_parts()  # type: ignore[attr-defined, no-any-return]
    except Exception:
        return None, None, None


class Command(BaseCommand):
    # Works without a database and must not depend on the web layer being importable.
    requires_system_checks: list[str] = []
    help = "Разбор сообщений (JSONL) или обучение модели тем: otklik triage [train] FILE|-"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("args", nargs="*", metavar="[train] FILE", help="файл JSONL или -")
        parser.add_argument("--model", help="путь к файлу модели тем")
        parser.add_argument("--rubric", help="рубрикатор (TOML/JSON)")
        parser.add_argument("--gazetteer", help="справочник мест (TOML/JSON)")
        parser.add_argument("--ner", action="store_true", help="искать места и вне справочника")

    def handle(self, *args: str, **opts: Any) -> None:
        items = list(args)
        if items and items[0] == "train":
            if len(items) != 2 or not opts.get("model"):
                raise CommandError("использование: otklik triage train FILE --model PATH")
            try:
                with open(items[1], encoding="utf-8") as fh:
                    _, n, errors = train_jsonl(fh, opts["model"])
            except (OSError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            for e in errors:
                self.stderr.write(e)
            self.stderr.write(f"Модель обучена на {n} примерах и сохранена: {opts['model']}")
            return
        if len(items) > 1:
            raise CommandError("укажите один файл или -")
        db_rubric, db_gazetteer, index = _db_triager_parts()
        try:
            triager = Triager(
                rubric=Rubric.from_file(opts["rubric"]) if opts.get("rubric") else db_rubric,
                gazetteer=(Gazetteer.from_file(opts["gazetteer"]) if opts.get("gazetteer") else db_gazetteer),
                model=opts.get("model"),
                config=TriageConfig(ner=bool(opts.get("ner"))),
            )
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        src = items[0] if items else "-"
        if src == "-":
            stats = run_jsonl(sys.stdin, self.stdout, triager, index=index)
        else:
            try:
                fh = open(src, encoding="utf-8")
            except OSError as exc:
                raise CommandError(str(exc)) from exc
            with fh:
                stats = run_jsonl(fh, self.stdout, triager, index=index)
        if stats.errors:
            self.stderr.write(f"Ошибок во входных данных: {stats.errors} из {stats.total}")
