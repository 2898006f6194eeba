"""``otklik notify_telegram_poll [--once]``: read the notification bot's updates (getUpdates) and
bind the chats that sent ``/start <code>``. For a bot without a webhook (the webhook is
``/notifications/telegram/`` with ``OTKLIK_NOTIFY_TELEGRAM_SECRET``)."""

from __future__ import annotations

from typing import Any

import httpx
from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.notify.telegram_link import poll_updates


class Command(BaseCommand):
    help = "Bind Telegram chats that sent /start <code> to the notification bot."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one getUpdates call, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        offset = None
        while True:
            try:
                bound, offset = poll_updates(offset, timeout=0 if options["once"] else 25)
            except (RuntimeError, OSError, ValueError, httpx.HTTPError) as exc:
                raise CommandError(str(exc)) from exc
            if bound:
                self.stdout.write(f"bound {bound} chat(s)")
            if options["once"]:
                return
