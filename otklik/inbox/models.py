"""Raw messages from the networks and the sources they come from (П.1, 4).

A message is unique per (source, external id), so ingesting the same batch twice adds nothing.
Messages are never deleted (П.20); the curator's decision is recorded on the case, not here.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.core.models import Undeletable, UndeletableQuerySet
from otklik.core.validators import validate_http_url
from otklik.domain.networks import NETWORK_CHOICES
from otklik.organization.models import Administration


class Source(models.Model):
    """A place messages come from: a VK community, a Telegram group, an OK group, a feed, a file."""

    class Kind(models.TextChoices):
        VK = "vk", _("ВКонтакте (сообщества, поиск)")
        VK_CALLBACK = "vk_callback", _("ВКонтакте (Callback API)")
        TELEGRAM = "telegram", _("Telegram (бот)")
        MAX = "max", _("MAX (бот)")
        OK = "ok", _("Одноклассники")
        FEED = "feed", _("Лента RSS/Atom")
        FILE = "file", _("Импорт файлов")
        MANUAL = "manual", _("Ручной ввод")
        API = "api", _("Внешняя система (API)")

    class Status(models.TextChoices):
        OK = "ok", _("работает")
        FAILING = "failing", _("ошибка")
        NEVER = "never", _("ещё не опрашивался")
        DISABLED = "disabled", _("отключён")

    administration = models.ForeignKey(Administration, on_delete=models.CASCADE, related_name="sources")
    name = models.CharField(_("название"), max_length=255)
    kind = models.CharField(_("вид"), max_length=16, choices=Kind.choices)
    network = models.CharField(_("сеть"), max_length=16, choices=NETWORK_CHOICES)
    config = models.JSONField(_("настройки"), default=dict, blank=True)
    token = models.CharField(_("токен доступа"), max_length=512, blank=True)
    base_url = models.CharField(_("адрес API"), max_length=255, blank=True, help_text=_("Пусто — адрес по умолчанию"))
    poll_interval = models.PositiveIntegerField(_("интервал опроса, с"), default=300)
    enabled = models.BooleanField(_("включён"), default=True)
    cursor = models.JSONField(default=dict, blank=True, editable=False)
    status = models.CharField(_("состояние"), max_length=16, choices=Status.choices, default=Status.NEVER)
    last_polled_at = models.DateTimeField(_("последний опрос"), null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(_("последний успешный опрос"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("последняя ошибка"), blank=True, editable=False)
    failure_count = models.PositiveIntegerField(_("ошибок подряд"), default=0, editable=False)
    # What a person must know although polling works: a gap longer than the network keeps updates,
    # polling and a webhook on one bot, a bot that cannot read the group. Set by the poller/check.
    warning = models.TextField(_("предупреждение"), blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("источник")
        verbose_name_plural = _("источники")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Message(Undeletable):
    """Сообщение из открытого источника."""

    class Status(models.TextChoices):
        NEW = "new", _("новое")
        IN_CASE = "in_case", _("в работе")
        DISMISSED = "dismissed", _("не требует реагирования")

    class BroughtVia(models.TextChoices):
        API = "api", _("через API")
        FILE = "file", _("импорт файла")
        MANUAL = "manual", _("ручной ввод")

    administration = models.ForeignKey(Administration, on_delete=models.PROTECT, related_name="messages")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="messages")
    network = models.CharField(_("сеть"), max_length=16, choices=NETWORK_CHOICES)
    external_id = models.CharField(_("идентификатор в сети"), max_length=255)
    url = models.URLField(_("ссылка"), max_length=1000, blank=True, validators=[validate_http_url])
    reply_to = models.CharField(_("ответ на"), max_length=255, blank=True)
    # The stored message this one answers (a thread's root comment), when it is in the same source;
    # ``context`` keeps what the network showed of the parent (a post, a channel post) either way.
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replies", verbose_name=_("ответ на")
    )
    context = models.JSONField(_("контекст"), default=dict, blank=True)
    author_name = models.CharField(_("автор"), max_length=255, blank=True)
    author_id = models.CharField(_("идентификатор автора"), max_length=128, blank=True)
    author_url = models.URLField(_("страница автора"), max_length=1000, blank=True, validators=[validate_http_url])
    text = models.TextField(_("текст"))
    attachments = models.JSONField(_("вложения"), default=list, blank=True)
    published_at = models.DateTimeField(_("опубликовано"), null=True, blank=True)
    received_at = models.DateTimeField(_("получено"))
    raw = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("состояние"), max_length=16, choices=Status.choices, default=Status.NEW)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="messages")
    triage = models.JSONField(_("подсказки разбора"), default=dict, blank=True)
    # Edits and deletions in the network (the history is in ``MessageRevision``).
    edited_at = models.DateTimeField(_("изменено в сети"), null=True, blank=True)
    revision_count = models.PositiveIntegerField(_("изменений"), default=0)
    deleted_at = models.DateTimeField(_("удалено в сети"), null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.TextField(_("причина: не требует реагирования"), blank=True)
    # Provenance (issue 15 §5): who brought a message in that no connector read — a person through
    # the HTTP API (and with which token), a file import or manual entry. Empty for connectors.
    brought_via = models.CharField(_("как внесено"), max_length=16, choices=BroughtVia.choices, blank=True)
    brought_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("кем внесено"),
    )
    brought_by_token = models.ForeignKey(
        "organization.ApiToken",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("токен API"),
    )

    class Meta:
        verbose_name = _("сообщение")
        verbose_name_plural = _("сообщения")
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="message_unique_per_source")]
        indexes = [
            models.Index(fields=["administration", "status", "-received_at"], name="message_inbox"),
            models.Index(fields=["administration", "author_id"], name="message_author"),
            models.Index(fields=["administration", "status", "-dismissed_at"], name="message_dismissed"),
        ]
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.get_network_display()}: {self.text[:60]}"


class MessageRevision(models.Model):
    """One change of a message in the network (П.20: the history is kept, never rewritten).

    ``kind`` ``edited`` keeps the text and attachments the edit replaced (the message row holds the
    current version); ``deleted`` and ``restored`` record when the author or a moderator removed
    the message or brought it back. Numbered per message from 1.
    """

    class Kind(models.TextChoices):
        EDITED = "edited", _("изменено")
        DELETED = "deleted", _("удалено")
        RESTORED = "restored", _("восстановлено")

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField(_("номер"))
    kind = models.CharField(_("вид"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("прежний текст"), blank=True)
    attachments = models.JSONField(_("прежние вложения"), default=list, blank=True)
    changed_at = models.DateTimeField(_("изменено в сети"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("записано"))
    raw = models.JSONField(default=dict, blank=True)

    objects = UndeletableQuerySet.as_manager()

    class Meta:
        verbose_name = _("изменение сообщения")
        verbose_name_plural = _("изменения сообщений")
        constraints = [models.UniqueConstraint(fields=["message", "number"], name="message_revision_number")]
        ordering = ["message", "number"]

    def __str__(self) -> str:
        return f"{self.message_id} #{self.number} {self.kind}"

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Records of this kind are kept for accountability (П.20) and cannot be deleted.")


class MessageDismissal(Undeletable):
    """One «не требует реагирования» decision and, if it was undone, who undid it and when (П.20:
    the record stays; the message's own fields hold only its current state)."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="dismissals")
    reason = models.TextField(_("причина"))
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    dismissed_at = models.DateTimeField(_("отмечено"))
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(_("отменено"), null=True, blank=True)

    class Meta:
        verbose_name = _("решение «не требует реагирования»")
        verbose_name_plural = _("решения «не требует реагирования»")
        ordering = ["message", "dismissed_at"]

    def __str__(self) -> str:
        return f"{self.message_id} {self.dismissed_at:%Y-%m-%d %H:%M}"


class MessagePresence(models.Model):
    """Who has a message open now (a soft lock: it warns a second curator, it never blocks).

    Refreshed while the page is open; a mark older than ``PRESENCE_TTL`` seconds means nobody."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="presences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("открытое сообщение")
        verbose_name_plural = _("открытые сообщения")
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="message_presence_unique")]
        indexes = [models.Index(fields=["message", "seen_at"], name="message_presence_seen")]

    def __str__(self) -> str:
        return f"{self.message_id} {self.user_id}"


PRESENCE_TTL = 120
