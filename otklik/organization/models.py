"""The organisation: administrations (tenants), departments, people and their roles (П.5, 7).

An administration is a tenant: every other row belongs to exactly one, and selectors always filter
by it, so one installation serves a region's many administrations without leaking data.

Why one module of over 400 lines: Django finds an app's models in ``models.py``, and these are
the organisation's reference tables, each short; the calendar, services and tokens that act on
them are modules of their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otklik.core.models import AppendOnly
from otklik.core.validators import validate_http_url
from otklik.domain.networks import NETWORK_CHOICES

if TYPE_CHECKING:
    from otklik.domain.calendar import WorkingCalendar
    from otklik.domain.regulation import Regulation


class Administration(models.Model):
    """Администрация: a municipal or regional administration — one tenant of the installation."""

    slug = models.SlugField(_("код"), unique=True)
    name = models.CharField(_("название"), max_length=255)
    timezone = models.CharField(_("часовой пояс"), max_length=64, default="Asia/Chita")
    regulation_toml = models.TextField(
        _("регламент (TOML)"), blank=True, help_text=_("Пусто — действуют сроки регламента по умолчанию.")
    )
    schedule_toml = models.TextField(
        _("график работы (TOML)"), blank=True, help_text=_("Пусто — пн–пт 09:00–18:00, обед 13:00–14:00.")
    )
    website = models.URLField(_("официальный сайт"), blank=True, validators=[validate_http_url])
    is_active = models.BooleanField(_("действует"), default=True)
    public_page = models.BooleanField(
        _("публичная страница отчётности"),
        default=False,
        help_text=_(
            "Показатели подразделений и размещённые ответы открыто по адресу /o/<код>/ (без персональных данных)."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    #: A new random value whenever a calendar exception or a loaded production year of this
    #: administration is saved or deleted (``calendars.calendar_changed``): the key of the built
    #: calendar in each process, so that a page needs no query to know its calendar is current.
    #: Random, not a counter: a change rolled back with its transaction must not leave a calendar
    #: built inside it under the number the next change will take.
    calendar_version = models.CharField(max_length=32, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("администрация")
        verbose_name_plural = _("администрации")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def regulation(self) -> Regulation:
        from otklik.domain.regulation import Regulation

        if self.regulation_toml.strip():
            return Regulation.loads(self.regulation_toml, source=f"administration:{self.slug}")
        return Regulation.default()

    @cached_property
    def calendar(self) -> WorkingCalendar:
        """The working calendar (zone, schedule, exceptions, loaded years): built by ``calendars.py``."""
        if _calendar_builder is None:
            raise RuntimeError("No calendar builder is set: OrganizationConfig.ready() sets it.")
        return _calendar_builder(self)


#: Builds an administration's working calendar. ``OrganizationConfig.ready`` sets it to
#: ``calendars.administration_calendar``, so that the models never import the calendars, which read them.
_calendar_builder: Callable[[Administration], WorkingCalendar] | None = None


def build_calendars_with(builder: Callable[[Administration], WorkingCalendar]) -> None:
    global _calendar_builder
    _calendar_builder = builder


class CalendarException(models.Model):
    """An administrator's exception to the production calendar for one date."""

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("дополнительный выходной")
        WORKING_DAY = "working_day", _("дополнительный рабочий день")
        SHORTENED = "shortened", _("сокращённый день")
        HOURS = "hours", _("особые часы работы")

    administration = models.ForeignKey(Administration, on_delete=models.CASCADE, related_name="calendar_exceptions")
    date = models.DateField(_("дата"))
    kind = models.CharField(_("вид"), max_length=16, choices=Kind.choices)
    start = models.TimeField(_("начало"), null=True, blank=True)
    end = models.TimeField(_("окончание"), null=True, blank=True)
    break_start = models.TimeField(_("начало перерыва"), null=True, blank=True)
    break_end = models.TimeField(_("конец перерыва"), null=True, blank=True)
    note = models.CharField(_("примечание"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("исключение календаря")
        verbose_name_plural = _("исключения календаря")
        unique_together = [("administration", "date")]
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y} — {self.get_kind_display()}"

    def intervals(self) -> tuple[tuple[dt.time, dt.time], ...]:
        if not (self.start and self.end):
            return ()
        if self.break_start and self.break_end:
            return ((self.start, self.break_start), (self.break_end, self.end))
        return ((self.start, self.end),)


class ProductionCalendarYear(models.Model):
    """A year of the production calendar an administrator loaded (`otklik calendar import`, the web page).

    Per administration, not installation-wide: a loaded year changes the deadlines of this
    administration only (a regional holiday such as Sagaalgan in the Aginsky Buryat okrug is one
    region's), and its administrator answers for it (П.20: who loaded it and when is kept). A
    re-load supersedes the row (``superseded_at``) instead of deleting it. The file's text is kept
    as loaded; the year is read back from it with the shipped format's reader.
    """

    administration = models.ForeignKey(
        Administration, on_delete=models.CASCADE, related_name="production_years", verbose_name=_("администрация")
    )
    year = models.PositiveSmallIntegerField(_("год"))
    decree = models.CharField(_("постановление"), max_length=500, blank=True)
    working_days = models.PositiveSmallIntegerField(_("рабочих дней"))
    working_hours = models.PositiveSmallIntegerField(_("рабочих часов"))
    file_name = models.CharField(_("файл"), max_length=255, blank=True)
    text = models.TextField(_("содержимое файла"))
    sha256 = models.CharField(max_length=64)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("загрузил"),
    )
    loaded_at = models.DateTimeField(_("загружен"))
    superseded_at = models.DateTimeField(_("заменён"), null=True, blank=True)

    class Meta:
        verbose_name = _("год производственного календаря")
        verbose_name_plural = _("годы производственного календаря")
        ordering = ["administration", "year", "-loaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["administration", "year"],
                condition=Q(superseded_at__isnull=True),
                name="production_year_one_current",
            )
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.decree or self.file_name}"


class Topic(models.Model):
    """Тематика: a category of the administration's rubric (editable per administration)."""

    administration = models.ForeignKey(Administration, on_delete=models.CASCADE, related_name="topics")
    code = models.SlugField(_("код"), max_length=64)
    name = models.CharField(_("название"), max_length=255)
    keywords = models.TextField(_("ключевые слова"), blank=True, help_text=_("Леммы через запятую"))
    is_active = models.BooleanField(_("действует"), default=True)

    class Meta:
        verbose_name = _("тематика")
        verbose_name_plural = _("тематики")
        unique_together = [("administration", "code")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Place(models.Model):
    """Населённый пункт или улица of the administration's gazetteer."""

    class Kind(models.TextChoices):
        SETTLEMENT = "settlement", _("населённый пункт")
        STREET = "street", _("улица")
        OBJECT = "object", _("объект")

    administration = models.ForeignKey(Administration, on_delete=models.CASCADE, related_name="places")
    name = models.CharField(_("название"), max_length=255)
    kind = models.CharField(_("вид"), max_length=16, choices=Kind.choices, default=Kind.SETTLEMENT)
    parent = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children")
    aliases = models.TextField(_("другие названия"), blank=True, help_text=_("Через запятую"))
    # For the Head's map; empty — taken from the shipped settlements file by name
    # (``otklik/reports/data/settlements.csv``).
    latitude = models.FloatField(_("широта"), null=True, blank=True)
    longitude = models.FloatField(_("долгота"), null=True, blank=True)

    class Meta:
        verbose_name = _("место")
        verbose_name_plural = _("места")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name if not self.parent_id else f"{self.parent}, {self.name}"


class Department(models.Model):
    """Структурное подразделение: owns official accounts (П.5) and a competence (topics)."""

    administration = models.ForeignKey(Administration, on_delete=models.CASCADE, related_name="departments")
    name = models.CharField(_("название"), max_length=255)
    short_name = models.CharField(_("краткое название"), max_length=64, blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="departments", verbose_name=_("компетенция"))
    email = models.EmailField(_("e-mail"), blank=True)
    is_active = models.BooleanField(_("действует"), default=True)

    class Meta:
        verbose_name = _("подразделение")
        verbose_name_plural = _("подразделения")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name or self.name


class OfficialAccount(models.Model):
    """An official group or account of a department in a network (П.5), published on the website."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="accounts")
    network = models.CharField(_("сеть"), max_length=16, choices=NETWORK_CHOICES)
    name = models.CharField(_("название"), max_length=255)
    url = models.URLField(_("ссылка"), validators=[validate_http_url])
    external_id = models.CharField(_("идентификатор в сети"), max_length=128, blank=True)
    is_active = models.BooleanField(_("действует"), default=True)

    class Meta:
        verbose_name = _("официальный аккаунт")
        verbose_name_plural = _("официальные аккаунты")
        ordering = ["department__name", "network"]

    def __str__(self) -> str:
        return f"{self.get_network_display()}: {self.name}"


class Role(models.TextChoices):
    HEAD = "head", _("Глава")
    RESPONSIBLE = "responsible", _("Ответственное должностное лицо")
    CURATOR = "curator", _("Куратор")
    EXECUTOR = "executor", _("Исполнитель")
    DEPARTMENT_HEAD = "department_head", _("Начальник подразделения")
    # The administration's own system administrator: sets up sources, the production calendar,
    # answer templates; sees settings and delivery status, not the cases' workflow.
    ADMIN = "admin", _("Администратор системы")


class MembershipQuerySet(models.QuerySet["Membership"]):
    def delete(self) -> Any:  # type: ignore[override]
        raise RuntimeError("A role is ended (ended_at), never deleted: its history is kept (П.20).")


class Membership(models.Model):
    """A person's role in an administration; executors and department heads belong to a department.

    One person may hold several roles (several rows). A role is never deleted: it ends
    (``is_active`` off, ``ended_at`` set) and may be resumed; every grant, end, resumption and
    change of the position is an append-only ``MembershipEvent``, written here, whoever saves.
    Set ``changed_by`` on the instance before saving to record who did it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships")
    administration = models.ForeignKey(Administration, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("роль"), max_length=32, choices=Role.choices)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    position = models.CharField(_("должность"), max_length=255, blank=True)
    is_active = models.BooleanField(_("действует"), default=True)
    started_at = models.DateTimeField(_("назначена"), default=timezone.now, editable=False)
    ended_at = models.DateTimeField(_("завершена"), null=True, blank=True, editable=False)

    objects = MembershipQuerySet.as_manager()

    #: Who is saving (set by the admin, a command); recorded in the event. Not a column.
    changed_by: Any = None

    class Meta:
        verbose_name = _("роль сотрудника")
        verbose_name_plural = _("роли сотрудников")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "administration", "role", "department"], name="membership_unique_role"
            ),
            models.CheckConstraint(
                condition=Q(role__in=["executor", "department_head"], department__isnull=False)
                | ~Q(role__in=["executor", "department_head"]),
                name="membership_department_required",
            ),
        ]

    def __str__(self) -> str:
        dept = f" ({self.department})" if self.department_id else ""
        return f"{self.user} — {self.get_role_display()}{dept}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        before = None if self.pk is None else Membership.objects.filter(pk=self.pk).first()
        if before is not None and (
            (before.user_id, before.administration_id, before.role, before.department_id)
            != (self.user_id, self.administration_id, self.role, self.department_id)
        ):
            raise RuntimeError("A role is not re-pointed to another person or department: end it and grant a new one.")
        now = timezone.now()
        kind = self._history_kind(before)
        if not self.is_active and self.ended_at is None:
            self.ended_at = now
        elif self.is_active:
            self.ended_at = None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "is_active" in update_fields:
            kwargs["update_fields"] = list({*update_fields, "ended_at"})
        super().save(*args, **kwargs)
        if kind is not None:
            MembershipEvent.objects.create(
                membership=self,
                kind=kind,
                at=now,
                actor_id=getattr(self.changed_by, "pk", None),
                is_active=self.is_active,
                position=self.position,
                previous_position=before.position if before is not None and before.position != self.position else "",
            )

    def _history_kind(self, before: Membership | None) -> str | None:
        if before is None:
            return MembershipEvent.Kind.GRANTED
        if before.is_active != self.is_active:
            return MembershipEvent.Kind.RESUMED if self.is_active else MembershipEvent.Kind.ENDED
        if before.position != self.position:
            return MembershipEvent.Kind.CHANGED
        return None

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("A role is ended (ended_at), never deleted: its history is kept (П.20).")

    def end(self, *, by: Any = None) -> None:
        """End the role now (the person keeps the history of having held it)."""
        if self.is_active:
            self.is_active = False
            self.changed_by = by
            self.save()


class MembershipEvent(AppendOnly):
    """Append-only history of a role: granted, ended, resumed, the position changed; who and when."""

    class Kind(models.TextChoices):
        GRANTED = "granted", _("назначена")
        ENDED = "ended", _("завершена")
        RESUMED = "resumed", _("возобновлена")
        CHANGED = "changed", _("изменена должность")

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("что произошло"), max_length=16, choices=Kind.choices)
    at = models.DateTimeField(_("время"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("кто"),
    )
    is_active = models.BooleanField(_("действует"))
    position = models.CharField(_("должность"), max_length=255, blank=True)
    previous_position = models.CharField(_("прежняя должность"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("изменение роли сотрудника")
        verbose_name_plural = _("история ролей сотрудников")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.membership}: {self.get_kind_display()} {self.at:%d.%m.%Y %H:%M}"


class Absence(models.Model):
    """Временное отсутствие исполнителя (П.7.2): his work goes to the substitute meanwhile."""

    class Reason(models.TextChoices):
        ILLNESS = "illness", _("болезнь")
        VACATION = "vacation", _("отпуск")
        TRIP = "trip", _("командировка")
        STUDY = "study", _("учёба")
        OTHER = "other", _("иная причина")

    administration = models.ForeignKey(Administration, on_delete=models.CASCADE, related_name="absences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences")
    substitute = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="substitutions", verbose_name=_("замещающий")
    )
    reason = models.CharField(_("причина"), max_length=16, choices=Reason.choices)
    start_date = models.DateField(_("с"))
    end_date = models.DateField(_("по"))
    note = models.CharField(_("примечание"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("отсутствие")
        verbose_name_plural = _("отсутствия")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="absence_dates_ordered"),
            models.CheckConstraint(condition=~Q(user=models.F("substitute")), name="absence_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_reason_display()} {self.start_date:%d.%m}–{self.end_date:%d.%m.%Y}"


class ApiToken(models.Model):
    """A person's token for integrations (monitoring systems, ЦУР exports), acting as that person.

    Only the SHA-256 of the token is kept (``organization.tokens``); the plain value is shown once.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("название"), max_length=128)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("начало токена"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("выпущен"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("действует до"))
    last_used_at = models.DateTimeField(_("последнее использование"), null=True, blank=True, editable=False)
    is_active = models.BooleanField(_("действует"), default=True)
    revoked_at = models.DateTimeField(_("отозван"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("кем отозван"),
    )

    class Meta:
        verbose_name = _("токен API")
        verbose_name_plural = _("токены API")
        ordering = ["-created_at"]
        constraints = [
            # A token without its hash could never be used, and a second one would break uniqueness.
            models.CheckConstraint(condition=~Q(key_hash="") & ~Q(prefix=""), name="api_token_has_hash"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (otk_{self.prefix}…)"
