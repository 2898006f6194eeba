from django.contrib import admin

from .models import ReportDispatch


@admin.register(ReportDispatch)
class ReportDispatchAdmin(admin.ModelAdmin):
    list_display = ("administration", "period_start", "period_end", "sent_at")
    list_filter = ("administration",)
    readonly_fields = ("administration", "period_start", "period_end", "sent_at", "files", "recipients")
