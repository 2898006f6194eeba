"""Notifications and how they reach people (in-app, e-mail, Telegram); shortcoming notices (П.22).

Rules:

* A ``Notification`` is the in-app message; it always exists. ``dedupe_key`` (when set) makes the
  same notice to the same person impossible twice (an event handled again, a sweep run twice).
* Each extra channel a person chose gets one ``Delivery`` row per notification — unique on
  (notification, channel) — with its status; failed deliveries are retried by a beat task and
  shown to the person and in the admin. Nothing is sent twice: a delivery is claimed by a
  conditional UPDATE before the network call and never resent after ``sent``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class KeptQuerySet(models.QuerySet):
    """Rows kept as the record of what was sent (П.20, 22): a bulk delete is refused."""

    def delete(self) -> Any:  # type: ignore[override]
        raise RuntimeError("Sent notices and notifications are kept on record (П.20) and cannot be deleted.")


class Notification(models.Model):
    class Kind(models.TextChoices):
        CASE = "case", _("обращение")
        REMINDER = "reminder", _("напоминание о сроке")
        BREACH = "breach", _("нарушение срока")
        SIGNIFICANT = "significant", _("социально значимое сообщение (п. 23)")
        SPIKE = "spike", _("всплеск активности (п. 23)")
        REPORT = "report", _("ежемесячная справка (п. 21)")
        SHORTCOMING = "shortcoming", _("уведомление о недостатках (п. 22)")
        OTHER = "other", _("прочее")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications")
    administration = models.ForeignKey(
        "organization.Administration", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("вид"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField(_("заголовок"), max_length=255)
    body = models.TextField(_("текст"), blank=True)
    url = models.CharField(_("ссылка"), max_length=500, blank=True)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    urgent = models.BooleanField(_("срочное"), default=False)
    attachments = models.JSONField(_("вложения"), default=list, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("создано"))
    read_at = models.DateTimeField(_("прочитано"), null=True, blank=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        verbose_name = _("уведомление")
        verbose_name_plural = _("уведомления")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], condition=~Q(dedupe_key=""), name="notification_once"
            )
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.title}"

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Sent notices and notifications are kept on record (П.20) and cannot be deleted.")


class NotificationPreference(models.Model):
    """Каналы уведомлений сотрудника: in-app is always on; e-mail and Telegram are chosen."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_enabled = models.BooleanField(_("по электронной почте"), default=True)
    telegram_chat_id = models.CharField(_("Telegram: идентификатор чата"), max_length=64, blank=True)
    telegram_enabled = models.BooleanField(_("в Telegram"), default=False)
    # A one-time code for t.me/<bot>?start=<code>: the bot's /start binds the chat it came from.
    telegram_link_code = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    telegram_link_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    telegram_linked_at = models.DateTimeField(_("Telegram привязан"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("настройки уведомлений")
        verbose_name_plural = _("настройки уведомлений")

    def __str__(self) -> str:
        return str(self.user)


class Delivery(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("электронная почта")
        TELEGRAM = "telegram", _("Telegram")

    class Status(models.TextChoices):
        PENDING = "pending", _("ожидает отправки")
        SENDING = "sending", _("отправляется")
        SENT = "sent", _("отправлено")
        FAILED = "failed", _("ошибка")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("канал"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("состояние"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("попыток"), default=0)
    last_error = models.TextField(_("последняя ошибка"), blank=True)
    next_attempt_at = models.DateTimeField(_("следующая попытка"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("отправлено"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("доставка уведомления")
        verbose_name_plural = _("доставки уведомлений")
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_retry")]

    def __str__(self) -> str:
        return f"{self.notification} → {self.get_channel_display()}: {self.get_status_display()}"


class ShortcomingNotice(models.Model):
    """П.22: уведомление Главы начальнику подразделения о недостатках; tracked until acknowledged."""

    class Status(models.TextChoices):
        SENT = "sent", _("направлено")
        ACKNOWLEDGED = "acknowledged", _("принято к сведению")

    administration = models.ForeignKey(
        "organization.Administration", on_delete=models.PROTECT, related_name="shortcoming_notices"
    )
    department = models.ForeignKey(
        "organization.Department", on_delete=models.PROTECT, related_name="shortcoming_notices"
    )
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("текст"))
    period_start = models.DateField(_("период с"), null=True, blank=True)
    period_end = models.DateField(_("период по"), null=True, blank=True)
    cases = models.ManyToManyField("cases.Case", blank=True, related_name="+", verbose_name=_("обращения"))
    status = models.CharField(_("состояние"), max_length=16, choices=Status.choices, default=Status.SENT)
    created_at = models.DateTimeField(_("направлено"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("принято к сведению"), null=True, blank=True)
    ack_comment = models.TextField(_("комментарий начальника подразделения"), blank=True)

    objects = KeptQuerySet.as_manager()

    #: What may change on a sent notice: only its acknowledgement by the department head.
    ACK_FIELDS = frozenset({"status", "acknowledged_by", "acknowledged_at", "ack_comment"})

    class Meta:
        verbose_name = _("уведомление о недостатках (п. 22)")
        verbose_name_plural = _("уведомления о недостатках (п. 22)")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.department}: {self.created_at:%d.%m.%Y}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if self.pk is not None and (update_fields is None or not set(update_fields) <= self.ACK_FIELDS):
            raise RuntimeError("A sent notice (П.22) is not edited; only its acknowledgement is recorded.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Sent notices and notifications are kept on record (П.20) and cannot be deleted.")
