from django.contrib import admin

from otklik.core.admin import ReadOnlyAdmin

from .models import ReportDispatch


@admin.register(ReportDispatch)
class ReportDispatchAdmin(ReadOnlyAdmin):
    """What was sent to whom (П.21) is on record: looked at, never edited or deleted."""

    list_display = ("administration", "period_start", "period_end", "sent_at")
    list_filter = ("administration",)
