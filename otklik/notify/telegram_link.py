"""Binding a person's Telegram chat to their notifications with a /start code, never a typed id.

The person presses «Привязать Telegram» and gets a link ``https://t.me/<bot>?start=<code>``; Telegram
opens the bot and sends ``/start <code>`` from their chat. ``handle_update`` (called by the webhook
view or by ``otklik notify_telegram_poll``) finds the code, binds that chat, answers in the chat
and forgets the code. A code lives ``LINK_TTL`` and works once.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import NotificationPreference

log = logging.getLogger(__name__)

LINK_TTL = dt.timedelta(minutes=30)


def bot_username() -> str:
    return str(getattr(settings, "OTKLIK_NOTIFY_TELEGRAM_BOT", "") or "")


def link_start(preference: NotificationPreference, *, now: dt.datetime | None = None) -> str:
    """A fresh one-time code for this person (the previous one stops working)."""
    now = now or timezone.now()
    code = secrets.token_urlsafe(18)[:24]
    preference.telegram_link_code = code
    preference.telegram_link_expires_at = now + LINK_TTL
    preference.save(update_fields=["telegram_link_code", "telegram_link_expires_at"])
    return code


def deep_link(code: str) -> str:
    bot = bot_username()
    return f"https://t.me/{bot}?start={code}" if bot else ""


def unlink(preference: NotificationPreference) -> None:
    preference.telegram_chat_id = ""
    preference.telegram_enabled = False
    preference.telegram_linked_at = None
    preference.telegram_link_code = ""
    preference.telegram_link_expires_at = None
    preference.save()


def _reply(chat_id: Any, text: str) -> None:
    token = getattr(settings, "OTKLIK_NOTIFY_TELEGRAM_TOKEN", "")
    if not token:
        return
    base = settings.OTKLIK_TELEGRAM_API_URL.rstrip("/")
    try:
        httpx.post(f"{base}/bot{token}/sendMessage", json={"chat_id": chat_id, "text": text}, timeout=10.0)
    except httpx.HTTPError as exc:  # the binding is saved; the greeting is a courtesy
        log.warning("telegram link reply failed: %s", exc)


def handle_update(update: dict[str, Any], *, now: dt.datetime | None = None) -> bool:
    """Bind the chat of a ``/start <code>`` message; True if a person was bound."""
    now = now or timezone.now()
    message = update.get("message") if isinstance(update, dict) else None
    if not isinstance(message, dict):
        return False
    text = str(message.get("text") or "").strip()
    raw_chat = message.get("chat")
    chat: dict[str, Any] = raw_chat if isinstance(raw_chat, dict) else {}
    chat_id = chat.get("id")
    if not text.startswith("/start") or chat_id is None:
        return False
    parts = text.split(maxsplit=1)
    code = parts[1].strip() if len(parts) > 1 else ""
    if chat.get("type") not in (None, "private"):
        _reply(chat_id, "Привязать уведомления можно только в личном чате с ботом.")
        return False
    if not code:
        _reply(chat_id, "Чтобы получать уведомления «Отклика», откройте ссылку из раздела «Каналы уведомлений».")
        return False
    with transaction.atomic():
        pref = (
            NotificationPreference.objects.select_for_update()
            .filter(telegram_link_code=code, telegram_link_expires_at__gt=now)
            .select_related("user")
            .first()
        )
        if pref is None:
            bound = False
        else:
            pref.telegram_chat_id = str(chat_id)[:64]
            pref.telegram_enabled = True
            pref.telegram_linked_at = now
            pref.telegram_link_code = ""
            pref.telegram_link_expires_at = None
            pref.save()
            bound = True
    if bound:
        _reply(chat_id, "Готово: уведомления «Отклика» будут приходить в этот чат.")
    else:
        _reply(chat_id, "Ссылка устарела или уже использована. Получите новую в разделе «Каналы уведомлений».")
    return bound


def poll_updates(offset: int | None = None, *, timeout: int = 0) -> tuple[int, int | None]:
    """One getUpdates call to the notification bot (when it has no webhook): (bound, next offset)."""
    token = getattr(settings, "OTKLIK_NOTIFY_TELEGRAM_TOKEN", "")
    if not token:
        raise RuntimeError("OTKLIK_NOTIFY_TELEGRAM_TOKEN is not set")
    base = settings.OTKLIK_TELEGRAM_API_URL.rstrip("/")
    params: dict[str, Any] = {"timeout": timeout, "allowed_updates": '["message"]'}
    if offset is not None:
        params["offset"] = offset
    response = httpx.get(f"{base}/bot{token}/getUpdates", params=params, timeout=timeout + 10.0)
    data = response.json()
    if not data.get("ok"):
        raise RuntimeError(f"Telegram: {data.get('description') or response.status_code}")
    bound = 0
    next_offset = offset
    for update in data.get("result") or []:
        if isinstance(update, dict) and isinstance(update.get("update_id"), int):
            next_offset = update["update_id"] + 1
            bound += handle_update(update)
    return bound, next_offset
