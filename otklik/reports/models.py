"""The record that a monthly summary (П.21) was sent, so the beat task sends it once."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class DispatchQuerySet(models.QuerySet["ReportDispatch"]):
    def delete(self) -> Any:  # type: ignore[override]
        raise RuntimeError("A sent report is kept on record (П.20) and cannot be deleted.")


class ReportDispatch(models.Model):
    administration = models.ForeignKey(
        "organization.Administration", on_delete=models.PROTECT, related_name="report_dispatches"
    )
    period_start = models.DateField(_("период с"))
    period_end = models.DateField(_("период по"))
    sent_at = models.DateTimeField(_("отправлено"))
    files = models.JSONField(_("файлы"), default=list, blank=True)
    recipients = models.JSONField(_("получатели"), default=list, blank=True)
    # formats that could not be built ({"format", "error"}): sent without them, never retried hourly
    failures = models.JSONField(_("не сформировано"), default=list, blank=True)

    objects = DispatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("отправка ежемесячной справки")
        verbose_name_plural = _("отправки ежемесячных справок")
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["administration", "period_start", "period_end"], name="report_sent_once")
        ]

    def __str__(self) -> str:
        return f"{self.administration}: {self.period_start:%m.%Y}"

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("A sent report is kept on record (П.20) and cannot be deleted.")
