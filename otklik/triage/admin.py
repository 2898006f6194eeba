"""Labels are written by the triage tasks; the admin shows them read-only."""

from __future__ import annotations

from django.contrib import admin

from .models import TriageLabel


@admin.register(TriageLabel)
class TriageLabelAdmin(admin.ModelAdmin):
    list_display = (
        "case",
        "administration",
        "suggested_topic",
        "chosen_topics",
        "suggested_place",
        "chosen_place",
        "suggested_processable",
        "refused",
        "updated_at",
    )
    list_filter = ("administration", "refused", "suggested_processable")
    raw_id_fields = ("case", "message")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
