"""Reads and writes of the organisation: who an actor is, calendars, substitutes (tokens: ``tokens``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from otklik.core.errors import PermissionDenied

from .models import Absence, Administration, CalendarException, Membership, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from otklik.domain.calendar import WorkingCalendar


@dataclass(frozen=True)
class Actor:
    """A person acting within one administration, with the roles they hold there."""

    user: User
    administration: Administration
    roles: frozenset[str]
    department_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def user_id(self) -> int:
        return int(self.user.pk)

    @property
    def sees_everything(self) -> bool:
        """The Head, the responsible official and curators see all of their administration."""
        return bool(self.roles & {Role.HEAD, Role.RESPONSIBLE, Role.CURATOR})

    @property
    def is_curator(self) -> bool:
        # The responsible official organises the work (П.7.1) and may act as a curator.
        return bool(self.roles & {Role.CURATOR, Role.RESPONSIBLE})

    @property
    def is_head(self) -> bool:
        return Role.HEAD in self.roles

    @property
    def is_admin(self) -> bool:
        """The administration's system administrator (sources, calendar, templates, delivery status)."""
        return Role.ADMIN in self.roles

    @property
    def is_executor(self) -> bool:
        return bool(self.roles & {Role.EXECUTOR, Role.DEPARTMENT_HEAD})

    def require(self, *roles: str) -> None:
        if not self.roles & set(roles):
            raise PermissionDenied("Недостаточно прав для этого действия.")


def administrations_of(user: User) -> list[Administration]:
    return list(
        Administration.objects.filter(memberships__user=user, memberships__is_active=True, is_active=True).distinct()
    )


def actor_for(user: User, administration: Administration | str | None = None) -> Actor:
    """Build the actor for ``user``; with several administrations the one named must be given."""
    if not user.is_authenticated:
        raise PermissionDenied("Требуется вход в систему.")
    rows = Membership.objects.filter(user=user, is_active=True, administration__is_active=True).select_related(
        "administration"
    )
    if isinstance(administration, str):
        rows = rows.filter(administration__slug=administration)
    elif isinstance(administration, Administration):
        rows = rows.filter(administration=administration)
    memberships = list(rows)
    if not memberships:
        raise PermissionDenied("У вас нет ролей в этой администрации.")
    admins = {m.administration_id for m in memberships}
    if len(admins) > 1:
        raise PermissionDenied("Укажите администрацию: у вас роли в нескольких.")
    adm = memberships[0].administration
    return Actor(
        user=user,
        administration=adm,
        roles=frozenset(m.role for m in memberships),
        department_ids=frozenset(
            m.department_id for m in memberships if m.department_id and m.role in (Role.EXECUTOR, Role.DEPARTMENT_HEAD)
        ),
    )


_CALENDARS: dict[tuple[object, ...], WorkingCalendar] = {}


def administration_calendar(administration: Administration) -> WorkingCalendar:
    """The working calendar of an administration: its zone, schedule and exceptions.

    Built calendars precompute their year tables lazily, so they are cached per process and keyed
    by everything they are made of: a changed exception or schedule gives a new calendar.
    """
    from otklik.domain.calendar import DayException, WorkingCalendar

    rows = tuple(
        CalendarException.objects.filter(administration=administration)
        .order_by("date")
        .values_list("date", "kind", "start", "end", "break_start", "break_end", "note")
    )
    key = (administration.pk, administration.timezone, administration.schedule_toml, rows)
    cached = _CALENDARS.get(key)
    if cached is not None:
        return cached
    if administration.schedule_toml.strip():
        base = WorkingCalendar.from_toml(administration.schedule_toml, source=f"administration:{administration.slug}")
    else:
        # Not strict: on 1 January of a year whose decree data we do not ship yet, deadlines must
        # still be computed; the production calendar logs a loud warning and a system check
        # (otklik.core.checks) warns the administrator weeks ahead.
        base = WorkingCalendar(tz=administration.timezone, strict_years=False)
    exceptions = []
    for date, kind, start, end, break_start, break_end, note in rows:
        exc = CalendarException(
            date=date, kind=kind, start=start, end=end, break_start=break_start, break_end=break_end
        )
        exceptions.append(DayException(date=date, kind=kind, intervals=exc.intervals(), note=note))
    calendar = base.with_exceptions(exceptions) if exceptions else base
    if len(_CALENDARS) > 256:
        _CALENDARS.clear()
    _CALENDARS[key] = calendar
    return calendar


def substitute_for(user_id: int, *, administration: Administration, on: dt.date) -> int:
    """The person who does ``user_id``'s work on ``on`` (П.7.2); follows chains, stops on loops."""
    seen = {user_id}
    current = user_id
    while True:
        absence = (
            Absence.objects.filter(administration=administration, user_id=current, start_date__lte=on, end_date__gte=on)
            .order_by("-start_date")
            .first()
        )
        if absence is None or absence.substitute_id in seen:
            return current
        current = absence.substitute_id
        seen.add(current)


def people_with_role(administration: Administration, role: str) -> list[int]:
    return list(
        Membership.objects.filter(administration=administration, role=role, is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )
