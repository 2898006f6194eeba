"""The record that a monthly summary (П.21) was sent, so the beat task sends it once."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportDispatch(models.Model):
    administration = models.ForeignKey(
        "organization.Administration", on_delete=models.CASCADE, related_name="report_dispatches"
    )
    period_start = models.DateField(_("период с"))
    period_end = models.DateField(_("период по"))
    sent_at = models.DateTimeField(_("отправлено"))
    files = models.JSONField(_("файлы"), default=list, blank=True)
    recipients = models.JSONField(_("получатели"), default=list, blank=True)
    # formats that could not be built ({"format", "error"}): sent without them, never retried hourly
    failures = models.JSONField(_("не сформировано"), default=list, blank=True)

    class Meta:
        verbose_name = _("отправка ежемесячной справки")
        verbose_name_plural = _("отправки ежемесячных справок")
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["administration", "period_start", "period_end"], name="report_sent_once")
        ]

    def __str__(self) -> str:
        return f"{self.administration}: {self.period_start:%m.%Y}"
