"""The curator's decisions as labels (П.6, 8, 17, 19): what triage suggested, what was chosen.

One row per case, written by ``services.record_decision`` (idempotent): the first message's
suggestions next to the case's topics, place, importance, repeat link and the П.19 refusal. The
labels train the administration's topic model (``tasks.retrain_topic_models``) and measure how
often the suggestions were right.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.organization.models import Administration


class TriageLabel(models.Model):
    administration = models.ForeignKey(Administration, on_delete=models.CASCADE, related_name="triage_labels")
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="triage_label")
    message = models.ForeignKey(
        "inbox.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="triage_labels"
    )
    suggested_topic = models.CharField(_("предложенная тематика"), max_length=64, blank=True)
    chosen_topics = models.JSONField(_("выбранные тематики (коды)"), default=list, blank=True)
    suggested_place = models.CharField(_("предложенное место"), max_length=255, blank=True)
    chosen_place = models.CharField(_("выбранное место"), max_length=255, blank=True)
    suggested_importance = models.CharField(_("предложенная важность"), max_length=16, blank=True)
    chosen_importance = models.CharField(_("выбранная важность"), max_length=16, blank=True)
    suggested_repeat_of = models.BigIntegerField(_("предложенный повтор (id обращения)"), null=True, blank=True)
    chosen_repeat_of = models.BigIntegerField(_("выбранный повтор (id обращения)"), null=True, blank=True)
    suggested_processable = models.BooleanField(_("подлежит обработке по подсказке (п. 19)"), null=True, blank=True)
    refused = models.BooleanField(_("отказано в обработке (п. 19)"), default=False)
    last_event_id = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("решение куратора (метка)")
        verbose_name_plural = _("решения куратора (метки)")
        ordering = ["-id"]
        indexes = [models.Index(fields=["administration", "refused"], name="triagelabel_adm")]

    def __str__(self) -> str:
        return f"{self.case}: {', '.join(self.chosen_topics) or '—'}"

    @property
    def topic_agreed(self) -> bool | None:
        if not self.chosen_topics:
            return None
        return self.suggested_topic in self.chosen_topics

    @property
    def primary_topic(self) -> str:
        """The label to train on: the suggestion if the curator kept it, else the first chosen code."""
        if not self.chosen_topics:
            return ""
        if self.suggested_topic in self.chosen_topics:
            return self.suggested_topic
        return sorted(self.chosen_topics)[0]
