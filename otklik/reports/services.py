"""Building, rendering, storing and sending the monthly summary (П.21).

``report_build`` gathers the data (``queries``), ``report_render`` turns it into files
(``docx`` / ``xlsx`` / ``pdf``), ``report_write`` stores them in a folder. ``monthly_dispatch``
is the beat task's body: on the first working day of a month (in the administration's calendar,
once its working day has begun) the previous month's summary goes to the Head and the curators,
once — a ``ReportDispatch`` row per (administration, period) guards it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from otklik.core.errors import NotFound, ValidationFailed
from otklik.domain.calendar import CalendarError, WorkingCalendar
from otklik.organization.models import Administration, Role
from otklik.organization.services import people_with_role

from .models import ReportDispatch
from .queries import MonthlyReport, build_monthly_report, month_bounds

log = logging.getLogger(__name__)

FORMATS = ("docx", "xlsx", "pdf")
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def administration_for(slug: str | None) -> Administration:
    """The administration named, or the only active one."""
    qs = Administration.objects.filter(is_active=True)
    if slug:
        adm = qs.filter(slug=slug).first()
        if adm is None:
            raise NotFound(f"Администрация «{slug}» не найдена.")
        return adm
    found = list(qs[:2])
    if len(found) != 1:
        raise ValidationFailed("Укажите администрацию (--administration): их несколько или нет ни одной.")
    return found[0]


def parse_formats(raw: str | Iterable[str]) -> list[str]:
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    formats = [f.strip().lower() for f in items if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValidationFailed(f"Неизвестный формат: {', '.join(bad) or '—'}. Допустимо: docx, xlsx, pdf.")
    return list(dict.fromkeys(formats))


def report_build(
    administration: Administration, start: dt.date, end: dt.date, *, now: dt.datetime | None = None
) -> MonthlyReport:
    return build_monthly_report(administration, start, end, now=now)


def report_render(report: MonthlyReport, fmt: str) -> bytes:
    if fmt == "docx":
        from .docx import render_docx

        return render_docx(report)
    if fmt == "xlsx":
        from .xlsx import render_xlsx

        return render_xlsx(report)
    if fmt == "pdf":
        from .pdf import render_pdf

        return render_pdf(report)
    raise ValidationFailed(f"Неизвестный формат: {fmt}.")


def report_filename(report: MonthlyReport, fmt: str) -> str:
    if report.start.day == 1 and month_bounds(report.start.year, report.start.month)[1] == report.end:
        period = f"{report.start:%Y-%m}"
    else:
        period = f"{report.start:%Y-%m-%d}_{report.end:%Y-%m-%d}"
    return f"otklik-{report.administration_slug}-{period}.{fmt}"


def report_write(report: MonthlyReport, formats: Iterable[str], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = out_dir / report_filename(report, fmt)
        path.write_bytes(report_render(report, fmt))
        written.append(path)
    return written


# --------------------------------------------------------------------------------------------
# the monthly dispatch


def first_working_day(calendar: WorkingCalendar, year: int, month: int) -> dt.date:
    """The first working day of the month; outside the production calendar's years, Mon–Fri."""
    d = dt.date(year, month, 1)
    while True:
        try:
            if calendar.day(d).is_working:
                return d
        except CalendarError:
            if d.weekday() < 5:
                return d
        d += dt.timedelta(days=1)


def _work_started(calendar: WorkingCalendar, local: dt.datetime) -> bool:
    try:
        intervals = calendar.day(local.date()).intervals
    except CalendarError:
        return local.time() >= dt.time(9)
    return bool(intervals) and local.time() >= intervals[0][0]


def monthly_dispatch(now: dt.datetime | None = None) -> list[ReportDispatch]:
    """Send last month's summary where today is the first working day of the month (once)."""
    now = now or timezone.now()
    sent = []
    for adm in Administration.objects.filter(is_active=True):
        calendar = adm.calendar
        local = timezone.localtime(now, calendar.tz)
        if first_working_day(calendar, local.year, local.month) != local.date():
            continue
        if not _work_started(calendar, local):
            continue
        prev_end = local.date().replace(day=1) - dt.timedelta(days=1)
        start, end = month_bounds(prev_end.year, prev_end.month)
        if ReportDispatch.objects.filter(administration=adm, period_start=start, period_end=end).exists():
            continue
        try:
            dispatch = report_dispatch(adm, start, end, now=now)
        except Exception:  # one administration's failure must not stop the others
            log.exception("monthly report for %s failed", adm.slug)
            continue
        if dispatch is not None:
            sent.append(dispatch)
    return sent


def report_dispatch(
    administration: Administration, start: dt.date, end: dt.date, *, now: dt.datetime | None = None
) -> ReportDispatch | None:
    """Build, store and send one period's summary to the Head and the curators; once.

    Each format is rendered on its own: one that fails is logged, named in the notice and in
    ``ReportDispatch.failures``, and the others still go out — a broken format must not make the
    dispatch retry every hour (the report page builds the files again on demand)."""
    from otklik.notify.models import Notification
    from otklik.notify.services import notify

    now = now or timezone.now()
    report = report_build(administration, start, end, now=now)
    folder = Path(settings.MEDIA_ROOT) / "reports" / administration.slug
    folder.mkdir(parents=True, exist_ok=True)
    files, failures = [], []
    for fmt in FORMATS:
        try:
            data = report_render(report, fmt)
        except Exception as exc:
            log.exception("monthly report for %s: %s failed", administration.slug, fmt)
            failures.append({"format": fmt, "error": f"{type(exc).__name__}: {exc}"[:500]})
            continue
        path = folder / report_filename(report, fmt)
        path.write_bytes(data)
        files.append(str(path.relative_to(settings.MEDIA_ROOT)))
    recipients = list(
        dict.fromkeys(people_with_role(administration, Role.HEAD) + people_with_role(administration, Role.CURATOR))
    )
    total = report.total
    assert total is not None
    body = (
        f"Выявлено обращений: {report.cases_detected}; дано ответов: {total.answered}, "
        f"в срок: {total.answered_on_time}, с нарушением срока: {total.answered_late}; "
        f"просрочено без ответа: {total.overdue_unanswered}. "
    )
    if files:
        body += "Справка во вложении (" + ", ".join(Path(f).suffix[1:].upper() for f in files) + ")."
    for failure in failures:
        body += f" {failure['format'].upper()} не сформирован — скачайте справку на странице «Справка (п. 21)»."
    try:
        with transaction.atomic():
            dispatch = ReportDispatch.objects.create(
                administration=administration,
                period_start=start,
                period_end=end,
                sent_at=now,
                files=files,
                recipients=recipients,
                failures=failures,
            )
            notify(
                recipients=recipients,
                title=f"Ежемесячная справка (п. 21) за {report.label}",
                body=body,
                url=f"/reports/?month={start:%Y-%m}",
                kind=Notification.Kind.REPORT,
                administration=administration,
                dedupe_key=f"report:{start:%Y-%m-%d}:{end:%Y-%m-%d}",
                attachments=files,
                now=now,
            )
    except IntegrityError:  # another worker sent it first
        return None
    return dispatch
