"""The retention policy is set here; its runs and the exports of citizens' data are read-only."""

from __future__ import annotations

from django.contrib import admin

from otklik.core.admin import ReadOnlyAdmin

from .models import DataExport, RetentionPolicy, RetentionRun


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ("administration", "months_after_closed", "months_after_dismissed", "action", "updated_at")

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # switch it off with «хранить» instead: the change stays visible


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    list_display = ("administration", "started_at", "trigger", "dry_run", "messages", "authors", "revisions", "error")
    list_filter = ("administration", "dry_run", "trigger")


@admin.register(DataExport)
class DataExportAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "administration",
        "requested_by",
        "channel",
        "network",
        "author_id",
        "author_name",
        "messages",
    )
    list_filter = ("administration", "channel")
