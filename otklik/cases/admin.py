"""Cases in the admin are read-only: states and deadlines change only through the workflow."""

from __future__ import annotations

from django.contrib import admin

from otklik.core.admin import ReadOnlyAdmin as ReadOnly
from otklik.sla.models import Stage

from .models import Case, CaseEvent


@admin.register(Case)
class CaseAdmin(ReadOnly):
    list_display = ("number", "administration", "state", "network", "importance", "detected_at", "next_deadline_at")
    list_filter = ("administration", "state", "network", "importance")
    search_fields = ("summary",)


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnly):
    list_display = ("case", "action", "actor", "at", "from_state", "to_state")
    list_filter = ("action",)


@admin.register(Stage)
class StageAdmin(ReadOnly):
    list_display = ("case", "key", "status", "started_at", "due_at", "ended_at", "on_time")
    list_filter = ("key", "status", "on_time")
