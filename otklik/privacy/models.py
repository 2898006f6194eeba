"""Personal data (152-ФЗ): how long citizens' data is kept per administration, what each run of
the retention did, and who exported whose data on request. Runs and exports are append-only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.core.models import AppendOnly
from otklik.organization.models import Administration


class RetentionPolicy(models.Model):
    """How long an administration keeps the authors' personal data of handled messages."""

    class Action(models.TextChoices):
        PSEUDONYMISE = "pseudonymise", _("обезличить авторов и удалить исходные данные сетей")
        KEEP = "keep", _("хранить (политика не применяется)")

    administration = models.OneToOneField(
        Administration, on_delete=models.PROTECT, related_name="retention_policy", verbose_name=_("администрация")
    )
    months_after_closed = models.PositiveSmallIntegerField(
        _("месяцев после закрытия обращения"),
        default=36,
        help_text=_("Сообщения обращения, закрытого (или отклонённого) раньше, обезличиваются."),
    )
    months_after_dismissed = models.PositiveSmallIntegerField(
        _("месяцев после отметки «не требует реагирования»"),
        default=12,
        help_text=_("Сообщения без обращения, отмеченные раньше, обезличиваются."),
    )
    action = models.CharField(_("что делать"), max_length=16, choices=Action.choices, default=Action.PSEUDONYMISE)
    updated_at = models.DateTimeField(_("изменена"), auto_now=True)

    class Meta:
        verbose_name = _("политика хранения персональных данных")
        verbose_name_plural = _("политики хранения персональных данных")

    def __str__(self) -> str:
        return f"{self.administration}: {self.months_after_closed} / {self.months_after_dismissed} мес."


class RetentionRun(AppendOnly):
    """One run of the retention for one administration (by beat or the command), with its counts."""

    administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, related_name="retention_runs", verbose_name=_("администрация")
    )
    started_at = models.DateTimeField(_("начат"))
    finished_at = models.DateTimeField(_("завершён"), null=True, blank=True)
    dry_run = models.BooleanField(_("пробный (без изменений)"), default=False)
    trigger = models.CharField(_("запуск"), max_length=16)  # beat, command
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_before = models.DateTimeField(_("обращения закрыты до"), null=True, blank=True)
    dismissed_before = models.DateTimeField(_("сообщения отмечены до"), null=True, blank=True)
    messages = models.PositiveIntegerField(_("сообщений обезличено"), default=0)
    authors = models.PositiveIntegerField(_("авторов"), default=0)
    revisions = models.PositiveIntegerField(_("изменений сообщений очищено"), default=0)
    error = models.TextField(_("ошибка"), blank=True)

    class Meta:
        verbose_name = _("запуск политики хранения")
        verbose_name_plural = _("журнал политики хранения")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.administration}: {self.started_at:%d.%m.%Y %H:%M}"


class DataExport(AppendOnly):
    """An audit record: who exported which citizen's data, when, and how much (152-ФЗ, ст. 14)."""

    administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, related_name="data_exports", verbose_name=_("администрация")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("кто"),
    )
    at = models.DateTimeField(_("время"))
    channel = models.CharField(_("откуда"), max_length=16)  # web, command
    network = models.CharField(_("сеть"), max_length=16, blank=True)
    author_id = models.CharField(_("идентификатор автора"), max_length=128, blank=True)
    author_name = models.CharField(_("имя автора"), max_length=255, blank=True)
    reason = models.CharField(_("основание (запрос гражданина)"), max_length=500, blank=True)
    messages = models.PositiveIntegerField(_("сообщений"), default=0)
    cases = models.PositiveIntegerField(_("обращений"), default=0)
    sha256 = models.CharField(_("контрольная сумма файла"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("выгрузка данных гражданина")
        verbose_name_plural = _("выгрузки данных граждан")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.network}:{self.author_id or self.author_name} {self.at:%d.%m.%Y %H:%M}"
