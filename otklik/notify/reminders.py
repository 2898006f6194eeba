"""Reminders before a stage's deadline and notices of its breach — in working hours only.

A reminder point is a fraction of the stage's *working* time (default 50 % and 80 %, setting
``OTKLIK_REMINDER_FRACTIONS``): its instant is ``calendar.add(started_at, fraction × limit)``.
The minute sweep sends every point that has come while the administration is at work; a point
that fell outside working hours is sent at the next working instant the sweep sees, unless the
stage has ended meanwhile (then nothing is sent). When several points have come at once (after a
night) only the latest is sent and all are recorded. The breach notice (to the responsible person
and the curators) follows the same working-hours rule. Each point sent is recorded in
``Stage.reminders_sent`` under a row lock, so nothing is sent twice. П.23 alerts are not here:
they go at once (``alerts.py``).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from otklik.domain.calendar import CalendarError
from otklik.domain.workflow import STAGE_TITLES, StageKey
from otklik.organization.models import Administration
from otklik.sla import clock, display

from .models import Notification
from .services import case_url, curators, department_people, lead_assignee, notify, present

log = logging.getLogger(__name__)

#: Stages the curator works on: reminders go to the curators when nobody is named.
CURATOR_STAGES = {StageKey.ROUTE.value, StageKey.REVIEW.value}
BREACH = "breach"


def fractions() -> tuple[float, ...]:
    return tuple(sorted(float(f) for f in getattr(settings, "OTKLIK_REMINDER_FRACTIONS", (0.5, 0.8))))


def marker(fraction: float) -> str:
    return f"{round(fraction * 100)}%"


def _working_limit(stage, calendar) -> dt.timedelta:  # type: ignore[no-untyped-def]
    if stage.limit_seconds:
        return dt.timedelta(seconds=stage.limit_seconds)
    return calendar.elapsed(stage.started_at, stage.due_at)


def reminder_times(stage, calendar) -> list[tuple[str, dt.datetime]]:  # type: ignore[no-untyped-def]
    """(marker, instant) of each reminder point of ``stage``, in order."""
    limit = _working_limit(stage, calendar)
    if limit <= dt.timedelta(0):
        return []
    return [(marker(f), calendar.add(stage.started_at, limit * f)) for f in fractions()]


def stage_recipients(stage) -> list[int]:  # type: ignore[no-untyped-def]
    """Stage.responsible, else the department's executors, else (curator stages) the curators."""
    if stage.responsible_id:
        return [stage.responsible_id]
    if stage.key in CURATOR_STAGES:
        return curators(stage.case.administration)
    if stage.department_id:
        return department_people(stage.department_id)
    found = lead_assignee(stage.case)
    return found or curators(stage.case.administration)


def _countdown_text(stage, calendar, now: dt.datetime) -> str:  # type: ignore[no-untyped-def]
    """«осталось 15 раб. мин · срок 7 мая, 16:40 (Чита)» — stored in Russian, like every notice."""
    cd = clock.countdown(calendar, due=stage.due_at, now=now, limit_seconds=stage.limit_seconds)
    with translation.override("ru"):
        return display.countdown_text(cd, now=now)


def _moment(at: dt.datetime, calendar, now: dt.datetime) -> str:  # type: ignore[no-untyped-def]
    with translation.override("ru"):
        return display.moment(at, calendar.tz, now=now)


def send_due_reminders(now: dt.datetime | None = None) -> int:
    """The minute sweep: reminder points that have come, and breach notices not yet sent."""
    from otklik.sla.models import Stage

    now = now or timezone.now()
    sent = 0
    for adm in Administration.objects.filter(is_active=True):
        calendar = adm.calendar
        try:
            if not calendar.is_working_time(now):
                continue
        except CalendarError:
            log.warning("calendar of %s does not cover %s", adm.slug, now)
            continue
        stages = (
            Stage.objects.filter(administration=adm, status=Stage.Status.OPEN, started_at__lte=now)
            .select_related("case__administration")
            .order_by("due_at")
        )
        for stage in stages.iterator(chunk_size=500):
            try:
                if stage.due_at <= now or stage.breached_at is not None:
                    if stage.breached_at is not None and BREACH not in (stage.reminders_sent or []):
                        sent += breach_notify(stage_id=stage.pk, now=now)
                    continue
                due_points = [m for m, at in reminder_times(stage, calendar) if at <= now]
                pending = [m for m in due_points if m not in (stage.reminders_sent or [])]
                if pending:
                    sent += _remind(stage.pk, pending, now=now)
            except CalendarError:
                log.warning("stage %s: calendar does not cover its dates", stage.pk)
    return sent


def _remind(stage_id: int, markers: list[str], *, now: dt.datetime) -> int:
    from otklik.sla.models import Stage

    with transaction.atomic():
        stage = Stage.objects.select_for_update().select_related("case__administration").get(pk=stage_id)
        done = list(stage.reminders_sent or [])
        todo = [m for m in markers if m not in done]
        if not todo or stage.status != Stage.Status.OPEN:
            return 0
        stage.reminders_sent = done + todo
        stage.save(update_fields=["reminders_sent"])
        case, adm = stage.case, stage.case.administration
        calendar = adm.calendar
        latest = todo[-1]
        title = f"Напоминание: обращение № {case.number} — срок этапа {_moment(stage.due_at, calendar, now)}"
        body = (
            f"{STAGE_TITLES.get(StageKey(stage.key), stage.key)}. Прошло {latest} срока: "
            f"{_countdown_text(stage, calendar, now)}.\n{case.summary[:300]}"
        )
        notify(
            recipients=present(stage_recipients(stage), administration=adm, now=now),
            title=title,
            body=body,
            url=case_url(case),
            kind=Notification.Kind.REMINDER,
            administration=adm,
            case_id=case.pk,
            dedupe_key=f"stage:{stage.pk}:{latest}",
            now=now,
        )
    return 1


def breach_notify(*, stage_id: int | None, now: dt.datetime) -> int:
    """The breach notice to the responsible person and the curators — now if at work, else later."""
    from otklik.sla.models import Stage

    if stage_id is None:
        return 0
    with transaction.atomic():
        stage = Stage.objects.select_for_update().select_related("case__administration").filter(pk=stage_id).first()
        if stage is None or BREACH in (stage.reminders_sent or []):
            return 0
        adm = stage.case.administration
        calendar = adm.calendar
        if stage.status != Stage.Status.OPEN:
            # The stage ended before anyone could be told at work: nothing to chase any more.
            stage.reminders_sent = [*(stage.reminders_sent or []), BREACH]
            stage.save(update_fields=["reminders_sent"])
            return 0
        try:
            at_work = calendar.is_working_time(now)
        except CalendarError:
            at_work = True
        if not at_work:
            return 0  # the minute sweep sends it at the next working instant
        stage.reminders_sent = [*(stage.reminders_sent or []), BREACH]
        stage.save(update_fields=["reminders_sent"])
        case = stage.case
        recipients = present(stage_recipients(stage), administration=adm, now=now) + curators(adm)
        notify(
            recipients=recipients,
            title=f"Нарушен срок: обращение № {case.number}",
            body=(
                f"{STAGE_TITLES.get(StageKey(stage.key), stage.key)}: {_countdown_text(stage, calendar, now)}.\n"
                f"{case.summary[:300]}"
            ),
            url=case_url(case),
            kind=Notification.Kind.BREACH,
            administration=adm,
            case_id=case.pk,
            dedupe_key=f"stage:{stage.pk}:{BREACH}",
            now=now,
        )
    return 1
