"""Notifications in the admin: deliveries (with failures) visible; notices read-only history."""

from __future__ import annotations

from django.contrib import admin

from .models import Delivery, Notification, NotificationPreference, ShortcomingNotice


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    readonly_fields = ("channel", "status", "attempts", "last_error", "next_attempt_at", "sent_at")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "recipient", "kind", "urgent", "created_at", "read_at")
    list_filter = ("kind", "urgent")
    search_fields = ("title", "recipient__username")
    readonly_fields = ("created_at", "dedupe_key")
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("notification", "channel", "status", "attempts", "last_error", "next_attempt_at", "sent_at")
    list_filter = ("status", "channel")
    readonly_fields = ("notification", "channel", "attempts", "last_error", "claimed_at", "sent_at")
    actions = ["retry_now"]

    @admin.action(description="Повторить отправку сейчас")
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
class ShortcomingNoticeAdmin(admin.ModelAdmin):
    list_display = ("department", "sender", "created_at", "status", "acknowledged_at")
    list_filter = ("status", "administration")
    readonly_fields = ("status", "acknowledged_by", "acknowledged_at", "ack_comment", "created_at")
