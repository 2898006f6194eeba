"""Stored stage deadlines (Zammad-style): one row per stage of a case, with its facts when it ends.

The monthly report (П.21) reads these facts — elapsed working time, the limit, on time or not —
instead of recomputing history. ``Case.next_deadline_at`` is the earliest open ``due_at``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.domain.workflow import STAGE_TITLES

STAGE_CHOICES = [(k.value, _(t)) for k, t in STAGE_TITLES.items()]


class Stage(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("идёт")
        DONE = "done", _("завершён")
        CANCELLED = "cancelled", _("отменён")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="stages")
    # The case's administration, copied when the stage opens (a case never changes administration),
    # so that the Head's figures read an administration's stages of a period from one index
    # instead of joining every stage of the period to its case (``reports.figures``).
    administration = models.ForeignKey(
        "organization.Administration", on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    key = models.CharField(_("этап"), max_length=32, choices=STAGE_CHOICES)
    assignment = models.ForeignKey(
        "cases.Assignment", on_delete=models.PROTECT, null=True, blank=True, related_name="stages"
    )
    draft = models.ForeignKey("cases.Draft", on_delete=models.PROTECT, null=True, blank=True, related_name="stages")
    department = models.ForeignKey(
        "organization.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="stages"
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="stages"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField(_("начало"))
    due_at = models.DateTimeField(_("срок"))
    ended_at = models.DateTimeField(_("завершён"), null=True, blank=True)
    limit_seconds = models.PositiveIntegerField(_("лимит, рабочих секунд"), null=True, blank=True)
    elapsed_seconds = models.IntegerField(_("затрачено, рабочих секунд"), null=True, blank=True)
    on_time = models.BooleanField(_("в срок"), null=True, blank=True)
    breached_at = models.DateTimeField(_("просрочка зафиксирована"), null=True, blank=True)
    reminders_sent = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("этап")
        verbose_name_plural = _("этапы")
        ordering = ["case", "started_at", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="stage_open_due"),
            models.Index(fields=["administration", "key", "ended_at"], name="stage_adm_key_ended"),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.key}"
