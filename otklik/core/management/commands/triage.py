"""``otklik triage``: triage JSONL messages, or train the topic model.

    otklik triage [--administration SLUG] [--model PATH] [--rubric FILE] [--gazetteer FILE] [--ner] [FILE|-]
    otklik triage train FILE --model PATH

A thin wrapper over ``otklik.triage.engine.batch``. With a database, the administration's rubric
(Topic rows), gazetteer (Place rows), trained model and earlier cases (for ``repeat_of``) are
used — the only administration, or ``--administration SLUG``; without a database, or with an
empty one, the shipped default rubric and gazetteer. ``--rubric/--gazetteer/--model`` override.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.triage.engine import ENGINE_VERSION, Gazetteer, Rubric, TriageConfig, Triager
from otklik.triage.engine.batch import run_jsonl, train_jsonl


def _db_parts(slug: str | None) -> Any:
    """The administration's rubric, gazetteer, model and earlier cases (``services.cli_parts``).

    None — no database, an empty one, or the Django adapter unavailable: the shipped defaults.
    """
    try:
        from otklik.triage import services
    except Exception:
        return None
    try:
        return services.cli_parts(slug)
    except services.AdministrationChoiceError as exc:
        raise CommandError(str(exc)) from exc
    except Exception:
        if slug:
            raise CommandError(f"база данных недоступна, администрацию «{slug}» не найти") from None
        return None


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
        parser.add_argument(
            "--administration",
            metavar="SLUG",
            help="чьи рубрикатор, места, модель и обращения брать из базы (если в ней несколько администраций)",
        )

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
        parts = _db_parts(opts.get("administration"))
        try:
            triager = Triager(
                rubric=Rubric.from_file(opts["rubric"]) if opts.get("rubric") else (parts.rubric if parts else None),
                gazetteer=(
                    Gazetteer.from_file(opts["gazetteer"])
                    if opts.get("gazetteer")
                    else (parts.gazetteer if parts else None)
                ),
                model=opts.get("model") or (parts.model if parts else None),
                config=TriageConfig(ner=bool(opts.get("ner"))),
            )
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if parts is not None:
            self.stderr.write(f"Данные администрации «{parts.administration}» из базы: рубрикатор, места, обращения")
            index, refs = parts.index, parts.refs
            engine = parts.engine if not opts.get("model") else f"{ENGINE_VERSION}+model"
        else:
            index, refs = None, None
            engine = f"{ENGINE_VERSION}+model" if opts.get("model") else f"{ENGINE_VERSION}+rules"
        src = items[0] if items else "-"
        if src == "-":
            stats = run_jsonl(sys.stdin, self.stdout, triager, index=index, refs=refs, engine=engine)
        else:
            try:
                fh = open(src, encoding="utf-8")
            except OSError as exc:
                raise CommandError(str(exc)) from exc
            with fh:
                stats = run_jsonl(fh, self.stdout, triager, index=index, refs=refs, engine=engine)
        if stats.errors:
            self.stderr.write(f"Ошибок во входных данных: {stats.errors} из {stats.total}")
