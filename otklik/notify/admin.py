"""Notifications in the admin: what was sent is on record (П.20), so notifications, their
deliveries and П.22 notices are read-only here and never deleted; a failed delivery can be retried."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy

from otklik.core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Delivery, Notification, NotificationPreference, ShortcomingNotice


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    readonly_fields = ("channel", "status", "attempts", "last_error", "next_attempt_at", "sent_at")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("title", "recipient", "kind", "urgent", "created_at", "read_at")
    list_filter = ("kind", "urgent")
    search_fields = ("title", "recipient__username")
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("notification", "channel", "status", "attempts", "last_error", "next_attempt_at", "sent_at")
    list_filter = ("status", "channel")
    actions = ["retry_now"]

    @admin.action(description=gettext_lazy("Повторить отправку сейчас"))
    def retry_now(self, request, queryset):  # type: ignore[no-untyped-def]
        from .services import deliver

        ids = list(queryset.exclude(status=Delivery.Status.SENT).values_list("pk", flat=True))
        queryset.filter(pk__in=ids).update(status=Delivery.Status.FAILED, next_attempt_at=None, attempts=0)
        for pk in ids:
            deliver(pk)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "email_enabled", "telegram_enabled", "telegram_chat_id")


@admin.register(ShortcomingNotice)
class ShortcomingNoticeAdmin(ReadOnlyAdmin):
    """П.22: the Head sends a notice from the dashboard; here it is only looked at."""

    list_display = ("department", "sender", "created_at", "status", "acknowledged_at")
    list_filter = ("status", "administration")
