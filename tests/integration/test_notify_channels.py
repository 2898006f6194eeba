"""E-mail over real SMTP (aiosmtpd on 127.0.0.1), Telegram through the fake Bot API; failures are
retried and visible; nothing is sent twice."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from tests.conftest import chita

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Collect:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_settings(settings):  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()
    settings.EMAIL_TIMEOUT = 5
    return settings


def test_email_over_smtp_with_retry_after_failure(org, smtp_settings) -> None:  # type: ignore[no-untyped-def]
    from aiosmtpd.controller import Controller

    from otklik.notify.models import Delivery
    from otklik.notify.services import deliver, notify, retry_failed

    head = org.users["head"]
    head.email = "head@example.ru"
    head.save()
    t0 = chita(2026, 5, 4, 10)
    [notice] = notify(recipients=[head.pk], title="Проверка связи", body="Текст", url="/reports/", now=t0)
    delivery = Delivery.objects.get(notification=notice)
    # nobody listens yet: the failure is recorded with a retry time
    assert deliver(delivery.pk, now=t0) == "failed"
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.last_error and delivery.next_attempt_at == t0 + dt.timedelta(minutes=1)
    assert retry_failed(t0 + dt.timedelta(seconds=30)) == 0  # not yet due

    handler = _Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_settings.EMAIL_PORT)
    controller.start()
    try:
        assert retry_failed(t0 + dt.timedelta(minutes=2)) == 1
        assert retry_failed(t0 + dt.timedelta(minutes=30)) == 0  # never twice
        assert deliver(delivery.pk, now=t0 + dt.timedelta(minutes=31)) == "sent"
    finally:
        controller.stop()
    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.rcpt_tos == ["head@example.ru"]
    body = envelope.content.decode()
    assert "Subject:" in body
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")


def test_telegram_through_the_fake_bot_api(org, settings) -> None:  # type: ignore[no-untyped-def]
    from otklik.notify.models import Delivery, NotificationPreference
    from otklik.notify.services import deliver, notify, retry_failed
    from otklik.sources.telegram.fake import FakeTelegram

    with FakeTelegram(token="123456:notify") as fake:
        fake.add_chat(700001, "Глава", type="private")
        settings.OTKLIK_TELEGRAM_API_URL = fake.url
        settings.OTKLIK_NOTIFY_TELEGRAM_TOKEN = "123456:notify"
        NotificationPreference.objects.create(
            user=org.users["head"], email_enabled=False, telegram_enabled=True, telegram_chat_id="700001"
        )
        NotificationPreference.objects.create(
            user=org.users["curator"], email_enabled=False, telegram_enabled=True, telegram_chat_id="999"
        )
        t0 = chita(2026, 5, 4, 3)
        fake.inject("sendMessage", "http_500")
        notices = notify(recipients=[org.users["head"].pk, org.users["curator"].pk], title="П. 23: всплеск",
                         body="Всплеск: ЖКХ", urgent=True, now=t0)  # fmt: skip
        head_delivery = Delivery.objects.get(notification=notices[0])
        assert head_delivery.channel == "telegram"
        assert deliver(head_delivery.pk, now=t0) == "failed"  # the injected 502
        assert retry_failed(t0 + dt.timedelta(minutes=5)) == 1
        sent = [m for m in fake.sent if m["chat"]["id"] == 700001]
        assert len(sent) == 1 and "П. 23: всплеск" in sent[0]["text"] and sent[0]["text"].startswith("❗")
        # an unknown chat is a visible failure
        curator_delivery = Delivery.objects.get(notification=notices[1])
        assert deliver(curator_delivery.pk, now=t0) == "failed"
        curator_delivery.refresh_from_db()
        assert "chat not found" in curator_delivery.last_error


def test_failed_deliveries_are_the_administrators_to_see(org, client, settings) -> None:  # type: ignore[no-untyped-def]
    from otklik.notify.models import NotificationPreference
    from otklik.notify.services import notify

    settings.OTKLIK_NOTIFY_TELEGRAM_TOKEN = ""
    NotificationPreference.objects.create(user=org.users["zhkh"], email_enabled=False, telegram_enabled=True,
                                          telegram_chat_id="1")  # fmt: skip
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        notify(recipients=[org.users["zhkh"].pk], title="Напоминание: обращение № 5", now=chita(2026, 5, 4, 10))
    client.force_login(org.users["zhkh"])
    html = client.get("/notifications/").content.decode()
    # the person sees that Telegram did not get it, not the error meant for the administrator
    assert "Telegram: не доставлено" in html and "Не настроен бот Telegram" not in html
    assert "Напоминание: обращение № 5" in html
    client.force_login(org.users["admin"])
    html = client.get("/notifications/status/").content.decode()
    assert "бот Telegram для уведомлений не настроен" in html and "Напоминание: обращение № 5" in html


def test_preferences_page_and_unread_counter(org, client) -> None:  # type: ignore[no-untyped-def]
    from otklik.notify.models import Delivery, NotificationPreference
    from otklik.notify.services import notify, unread_count
    from otklik.notify.telegram_link import handle_update, link_start

    client.force_login(org.users["zhkh"])
    # a typed chat id is not accepted: the chat is bound by the bot's /start code
    response = client.post("/notifications/preferences/", {"telegram_enabled": "on", "telegram_chat_id": "42"})
    assert response.status_code == 200
    code = link_start(NotificationPreference.objects.get(user=org.users["zhkh"]))
    assert handle_update({"message": {"text": f"/start {code}", "chat": {"id": 42, "type": "private"}}})
    response = client.post("/notifications/preferences/", {"telegram_enabled": "on"})
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=org.users["zhkh"])
    assert (pref.email_enabled, pref.telegram_enabled, pref.telegram_chat_id) == (False, True, "42")
    [n] = notify(recipients=[org.users["zhkh"].pk], title="Новое", url="/reports/", now=chita(2026, 5, 4, 10))
    assert list(Delivery.objects.filter(notification=n).values_list("channel", flat=True)) == ["telegram"]
    assert unread_count(org.users["zhkh"].pk) == 1
    page = client.get("/notifications/")
    assert page.context["notify_unread_count"] == 1
    assert client.get(f"/notifications/{n.pk}/").status_code == 302
    assert unread_count(org.users["zhkh"].pk) == 0
