"""Sources are reference data; messages are shown read-only (they are never edited or deleted)."""

from __future__ import annotations

from django.contrib import admin

from .models import Message, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "network",
        "administration",
        "enabled",
        "status",
        "last_polled_at",
        "failure_count",
        "last_error",
    )
    list_filter = ("administration", "kind", "status", "enabled")
    readonly_fields = ("status", "cursor", "last_polled_at", "last_success_at", "last_error", "failure_count")
    search_fields = ("name",)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "network", "author_name", "received_at", "status", "case")
    list_filter = ("administration", "network", "status")
    search_fields = ("text", "author_name", "external_id")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
