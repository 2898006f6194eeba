"""``otklik token create|list|revoke``: API tokens from the command line.

``create`` prints the token once (the only place it ever appears) on standard output, alone on its
line, so that a script can capture it; everything else goes to standard error.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils import timezone

from otklik.core.errors import ValidationFailed
from otklik.organization.models import ApiToken
from otklik.organization.tokens import api_token_issue, api_token_revoke


class Command(BaseCommand):
    help = "Выпуск, список и отзыв токенов API."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="выпустить токен (выводится один раз)")
        create.add_argument("--user", required=True, help="имя пользователя, от чьего имени работает токен")
        create.add_argument("--name", required=True, help="для какой системы токен")
        create.add_argument("--days", type=int, default=None, help="срок действия в днях (по умолчанию 90)")
        listing = sub.add_parser("list", help="токены (без их значений)")
        listing.add_argument("--user", default=None)
        revoke = sub.add_parser("revoke", help="отозвать токен")
        revoke.add_argument(
            "prefix", help="начало токена, как в списке (otk_XXXXXXXX…; без otk_ — если не начинается с «-»), или номер"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        if verb == "create":
            self._create(options)
        elif verb == "list":
            self._list(options)
        else:
            self._revoke(options)

    def _user(self, username: str) -> Any:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Пользователь «{username}» не найден.")
        return user

    def _create(self, options: dict[str, Any]) -> None:
        user = self._user(options["user"])
        try:
            issued = api_token_issue(user=user, name=options["name"], days=options["days"])
        except ValidationFailed as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(
            f"Токен «{issued.token.name}» для {user.get_username()} действует до "
            f"{timezone.localtime(issued.token.expires_at):%d.%m.%Y %H:%M}. Сохраните его: больше он показан не будет."
        )
        self.stdout.write(issued.raw)

    def _list(self, options: dict[str, Any]) -> None:
        rows = ApiToken.objects.select_related("user").order_by("user__username", "-created_at")
        if options["user"]:
            rows = rows.filter(user=self._user(options["user"]))
        now = timezone.now()
        for t in rows:
            state = "отозван" if t.revoked_at or not t.is_active else ("истёк" if t.expires_at <= now else "действует")
            used = f"{timezone.localtime(t.last_used_at):%d.%m.%Y %H:%M}" if t.last_used_at else "—"
            self.stdout.write(
                f"{t.pk}\totk_{t.prefix}…\t{t.user.get_username()}\t{t.name}\t"
                f"до {timezone.localtime(t.expires_at):%d.%m.%Y}\tиспользован {used}\t{state}"
            )

    def _revoke(self, options: dict[str, Any]) -> None:
        key = options["prefix"].removeprefix("otk_").rstrip("…")
        match = Q(prefix=key) | Q(pk=int(key)) if key.isdigit() else Q(prefix=key)
        qs = ApiToken.objects.filter(match)
        found = list(qs[:2])
        if not found:
            raise CommandError("Токен не найден.")
        if len(found) > 1:
            raise CommandError("Под это начало подходит несколько токенов: укажите номер из «otklik token list».")
        token = api_token_revoke(token=found[0], by=None)
        self.stderr.write(f"Токен «{token.name}» (otk_{token.prefix}…) отозван.")
