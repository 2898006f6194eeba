"""The channels a notification travels by besides the in-app list: e-mail (SMTP) and Telegram.

Each sender takes a ``Notification`` and the recipient's preference and either returns or raises
``ChannelError`` with a Russian message that is stored on the delivery and shown to the person.
No database writes here; ``services.deliver`` records the outcome.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from django.conf import settings
from django.core.mail import EmailMessage

if TYPE_CHECKING:
    from .models import Notification, NotificationPreference


class ChannelError(Exception):
    """A delivery failed; the message (Russian) is what the person and the admin see."""


def absolute_url(path: str) -> str:
    if not path or path.startswith("http"):
        return path
    base = getattr(settings, "OTKLIK_PUBLIC_URL", "").rstrip("/")
    return f"{base}{path}" if base else path


def _text(notification: Notification) -> str:
    parts = [notification.title]
    if notification.body:
        parts.append(notification.body)
    if notification.url:
        parts.append(absolute_url(notification.url))
    return "\n\n".join(parts)


def send_email(notification: Notification, preference: NotificationPreference | None) -> None:
    address = notification.recipient.email
    if not address:
        raise ChannelError("У сотрудника не указан адрес электронной почты.")
    prefix = "СРОЧНО: " if notification.urgent else ""
    message = EmailMessage(
        subject=f"{prefix}{notification.title}"[:250],
        body=_text(notification),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
    )
    for raw in notification.attachments or []:
        path = Path(settings.MEDIA_ROOT) / raw
        if not path.is_file():
            raise ChannelError(f"Вложение не найдено: {raw}")
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        message.attach(path.name, path.read_bytes(), ctype)
    try:
        message.send(fail_silently=False)
    except (OSError, ValueError) as exc:  # smtplib errors are OSError subclasses
        raise ChannelError(f"Почтовый сервер не принял письмо: {exc}") from exc


def send_telegram(notification: Notification, preference: NotificationPreference | None) -> None:
    token = getattr(settings, "OTKLIK_NOTIFY_TELEGRAM_TOKEN", "")
    if not token:
        raise ChannelError("Не настроен бот Telegram для уведомлений (OTKLIK_NOTIFY_TELEGRAM_TOKEN).")
    chat_id = preference.telegram_chat_id if preference else ""
    if not chat_id:
        raise ChannelError("Не указан идентификатор чата Telegram.")
    base = settings.OTKLIK_TELEGRAM_API_URL.rstrip("/")
    text = _text(notification)
    if notification.urgent:
        text = "❗ " + text
    try:
        response = httpx.post(
            f"{base}/bot{token}/sendMessage",
            json={"chat_id": chat_id, "text": text[:4096], "disable_web_page_preview": True},
            timeout=10.0,
        )
    except httpx.HTTPError as exc:
        raise ChannelError(f"Telegram недоступен: {exc}") from exc
    try:
        data = response.json()
    except ValueError:
        raise ChannelError(f"Telegram вернул непонятный ответ (HTTP {response.status_code}).") from None
    if not data.get("ok"):
        raise ChannelError(f"Telegram отказал: {data.get('description') or response.status_code}")


SENDERS = {"email": send_email, "telegram": send_telegram}
