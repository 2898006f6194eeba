"""Admin helpers shared by the apps: a read-only view of records kept for accountability (П.20)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class NoWrites:
    """Permissions of a record that is looked at, never added, changed or deleted here (no bulk
    delete either: Django drops ``delete_selected`` when deleting is not permitted)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(NoWrites, admin.ModelAdmin):
    pass


class ReadOnlyInline(NoWrites, admin.TabularInline):
    extra = 0
    can_delete = False
