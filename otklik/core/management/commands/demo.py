"""``otklik demo [--if-empty]``: load the demo administration, people, sources and messages."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from otklik.organization.models import Administration


class Command(BaseCommand):
    help = "Загрузить демонстрационные данные (Газимуро-Заводский округ)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--if-empty", action="store_true", help="только если в базе ещё нет администраций")

    def handle(self, *args: Any, **opts: Any) -> None:
        from otklik.core.demo import seed_demo

        if Administration.objects.exists():
            if opts["if_empty"]:
                self.stdout.write("Данные уже есть — демонстрационные данные не загружаются.")
                return
            raise CommandError("В базе уже есть данные: демонстрационные данные загружаются только в пустую базу.")
        demo = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Загружено: {demo.adm.name}; подразделений {len(demo.depts)}, "
                f"сообщений {demo.adm.messages.count()}, обращений {demo.adm.cases.count()}."
            )
        )
