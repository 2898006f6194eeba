"""Django admin for reference data only (the workflow itself is never edited here)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otklik.core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import (
    Absence,
    Administration,
    ApiToken,
    CalendarException,
    Department,
    Membership,
    MembershipEvent,
    OfficialAccount,
    Place,
    ProductionCalendarYear,
    Topic,
)
from .tokens import api_token_revoke, api_token_save_new


def _recompute_after_commit(request, administration_id: int, why: str) -> None:  # type: ignore[no-untyped-def]
    """A changed calendar moves the stored deadlines of open cases (after the change is committed)."""
    from otklik.sla.tasks import recompute_deadlines_later

    recompute_deadlines_later(administration_id, request.user.pk if request.user.is_authenticated else None, why)


class CalendarExceptionInline(admin.TabularInline):
    model = CalendarException
    extra = 0


@admin.register(Administration)
class AdministrationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "timezone", "is_active", "public_page")
    search_fields = ("name", "slug")
    inlines = [CalendarExceptionInline]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        # Validate the regulation and schedule files before saving: a broken file would stop every deadline.
        from django.core.exceptions import ValidationError

        from otklik.domain.calendar import CalendarError, WorkingCalendar
        from otklik.domain.regulation import Regulation, RegulationError

        try:
            if obj.regulation_toml.strip():
                Regulation.loads(obj.regulation_toml, source="регламент")
            if obj.schedule_toml.strip():
                WorkingCalendar.from_toml(obj.schedule_toml, source="график")
        except (RegulationError, CalendarError) as exc:
            raise ValidationError(str(exc)) from exc
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):  # type: ignore[no-untyped-def]
        super().save_related(request, form, formsets, change)
        if change:  # schedule, zone or calendar exceptions may have changed
            _recompute_after_commit(request, form.instance.pk, "изменён график или исключения календаря")


class OfficialAccountInline(admin.TabularInline):
    model = OfficialAccount
    extra = 0


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "administration", "is_active")
    list_filter = ("administration", "is_active")
    search_fields = ("name", "short_name")
    filter_horizontal = ("topics",)
    inlines = [OfficialAccountInline]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "administration", "is_active")
    list_filter = ("administration", "is_active")
    search_fields = ("name", "code", "keywords")


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "parent", "administration", "latitude", "longitude")
    list_filter = ("administration", "kind")
    search_fields = ("name", "aliases")


class MembershipEventInline(ReadOnlyInline):
    model = MembershipEvent
    fields = ("at", "kind", "actor", "is_active", "position", "previous_position")
    readonly_fields = fields


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Roles are granted, ended and resumed here, never deleted: who held which role when stays on
    record (``MembershipEvent``). A role is not re-pointed: end it and grant a new one."""

    list_display = ("user", "role", "department", "administration", "is_active", "started_at", "ended_at")
    list_filter = ("administration", "role", "is_active")
    search_fields = ("user__username", "user__last_name", "position")
    readonly_fields = ("started_at", "ended_at")
    inlines = [MembershipEventInline]
    actions = ["end_roles"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.readonly_fields
        return ("user", "administration", "role", "department", *self.readonly_fields)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        obj.changed_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=gettext_lazy("Завершить выбранные роли"))
    def end_roles(self, request: HttpRequest, queryset: Any) -> None:
        for membership in queryset.filter(is_active=True):
            membership.end(by=request.user)
        self.message_user(request, _("Роли завершены; история сохранена."))


@admin.register(MembershipEvent)
class MembershipEventAdmin(ReadOnlyAdmin):
    list_display = ("membership", "kind", "at", "actor", "position")
    list_filter = ("kind", "membership__administration")
    search_fields = ("membership__user__username", "membership__user__last_name")


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ("user", "reason", "start_date", "end_date", "substitute", "administration")
    list_filter = ("administration", "reason")


@admin.register(OfficialAccount)
class OfficialAccountAdmin(admin.ModelAdmin):
    list_display = ("name", "network", "department", "url", "is_active")
    list_filter = ("network", "department__administration")


@admin.register(CalendarException)
class CalendarExceptionAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "administration", "note")
    list_filter = ("administration", "kind")

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        _recompute_after_commit(request, obj.administration_id, f"исключение календаря на {obj.date:%d.%m.%Y}")

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        super().delete_model(request, obj)
        _recompute_after_commit(request, obj.administration_id, f"снято исключение календаря на {obj.date:%d.%m.%Y}")


@admin.register(ProductionCalendarYear)
class ProductionCalendarYearAdmin(admin.ModelAdmin):
    """Read-only: years are loaded through `otklik calendar import` or the calendar page, which check them."""

    list_display = ("year", "administration", "decree", "working_days", "working_hours", "loaded_at", "superseded_at")
    list_filter = ("administration", "year")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ApiTokenAddForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("user", "name", "expires_at")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expires_at"].initial = timezone.now() + dt.timedelta(days=settings.OTKLIK_API_TOKEN_DAYS)

    def clean_expires_at(self) -> dt.datetime:
        value = self.cleaned_data["expires_at"]
        now = timezone.now()
        if not now < value <= now + dt.timedelta(days=settings.OTKLIK_API_TOKEN_MAX_DAYS):
            raise forms.ValidationError(
                _("Срок действия — от 1 до %(days)s дней.") % {"days": settings.OTKLIK_API_TOKEN_MAX_DAYS}
            )
        return value


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Issue (the value is shown once, in a message), look at and revoke tokens; never delete them."""

    list_display = ("name", "user", "prefix", "created_at", "expires_at", "last_used_at", "is_active", "revoked_at")
    list_filter = ("is_active",)
    search_fields = ("name", "prefix", "user__username")
    fields = (
        "user",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "is_active",
        "revoked_at",
        "revoked_by",
    )
    readonly_fields = tuple(f for f in fields if f != "name")  # a token is renamed, never re-pointed
    actions = ["revoke"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("user", "name", "expires_at") if obj is None else self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        obj.created_at = timezone.now()
        raw = api_token_save_new(obj)
        messages.warning(
            request,
            _("Токен для %(user)s: %(token)s — скопируйте его сейчас, больше он показан не будет.")
            % {"user": obj.user.get_username(), "token": raw},
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # who used the API with which token stays on record; revoke instead

    @admin.action(description=gettext_lazy("Отозвать выбранные токены"))
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for token in queryset:
            api_token_revoke(token=token, by=request.user)  # type: ignore[arg-type]
        self.message_user(request, _("Токены отозваны."))
