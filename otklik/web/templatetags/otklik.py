"""Template helpers of the web UI: Russian titles of states, actions, stages, networks; the one form
of a moment (``|moment``) and of a countdown (``{% countdown %}``, from ``otklik.sla.clock``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from otklik.cases.actions import ACTION_TITLES
from otklik.domain.workflow import DRAFT_KIND_TITLES, IMPORTANCE_TITLES, STAGE_TITLES, STATE_TITLES
from otklik.sla import clock, display
from otklik.web import markup

register = template.Library()


@register.filter
def state_title(value: str) -> str:
    return markup.title(STATE_TITLES, value)


@register.filter
def action_title(value: str) -> str:
    return _(ACTION_TITLES.get(value, value))


@register.filter
def stage_title(value: str) -> str:
    return markup.title(STAGE_TITLES, value)


@register.filter
def importance_title(value: str) -> str:
    return markup.title(IMPORTANCE_TITLES, value)


@register.filter
def draft_kind_title(value: str) -> str:
    return markup.title(DRAFT_KIND_TITLES, value)


@register.filter
def network_title(code: str) -> str:
    return markup.network_title(code)


@register.filter
def iso(value: dt.datetime | None) -> str:
    """ISO 8601 in UTC for ``data-due`` attributes the countdown script reads."""
    return markup.iso(value)


@register.filter
def moment(value: dt.datetime | None, tz: str | None = None) -> str:
    """«2 дек., 09:30 (Чита)» in the administration's zone (the current one, or ``tz``): the one
    form of a time."""
    if not value:
        return ""
    when, zone = display.moment_parts(value, tz or None)
    return format_html('{} <span class="tz">({})</span>', when, zone)


@register.simple_tag(takes_context=True)
def countdown(
    context: template.Context,
    value: clock.Countdown | dt.datetime | None,
    limit: int | None = None,
    started: dt.datetime | None = None,
    full: bool = False,
) -> str:
    """The one countdown of the product: working time left or overdue, the deadline and its zone.

    ``value`` is a :class:`~otklik.sla.clock.Countdown` or a deadline; for a deadline the stage's
    working ``limit`` (seconds) or its ``started`` moment gives the colour. The administration's
    calendar is the signed-in actor's. ``full`` also writes out when a stopped clock runs again.
    Built in Python, not an include: a list page renders a hundred of them.
    """
    now = context.get("now") or timezone.now()
    cd = value if isinstance(value, clock.Countdown) else None
    if isinstance(value, dt.datetime):
        actor = getattr(context.get("request"), "actor", None)
        if actor is not None:
            cd = clock.countdown(
                actor.administration.calendar,
                due=value,
                now=now,
                limit_seconds=limit if isinstance(limit, int) and limit > 0 else None,
                started=started if isinstance(started, dt.datetime) else None,  # a missing variable is ""
            )
    if cd is None:
        return ""
    return markup.countdown_html(cd, now=now, full=full)


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key) if mapping else None


@register.filter
def score_percent(value: Any) -> str:
    try:
        return f"{round(float(value) * 100)}%"
    except (TypeError, ValueError):
        return ""


@register.filter
def place_kind(value: str) -> str:
    """Russian title of a gazetteer kind suggested by triage ("settlement" → "населённый пункт")."""
    from otklik.organization.models import Place

    engine_kinds = {
        "okrug": _("округ"),
        "selo": _("село"),
        "poselok": _("посёлок"),
        "derevnya": _("деревня"),
        "ner": _("по тексту, нет в справочнике"),
    }
    if value in engine_kinds:
        return engine_kinds[value]
    try:
        return str(Place.Kind(value).label)
    except ValueError:
        return str(value or "")


@register.simple_tag(takes_context=True)
def case_rows(context: template.Context, cases: Any) -> SafeString:
    """The rows of a case list (board, «Мои обращения»), built in Python: ``otklik.web.rows``."""
    from otklik.web import rows

    actor = getattr(context.get("request"), "actor", None)
    if actor is None:
        return mark_safe("")
    return rows.case_rows(cases, now=context.get("now") or timezone.now(), calendar=actor.administration.calendar)


@register.simple_tag(takes_context=True)
def message_rows(context: template.Context, rows_: Any) -> SafeString:
    """The rows of the inbox queue, built in Python: ``otklik.web.rows``."""
    from otklik.web import rows

    return rows.message_rows(
        rows_, now=context.get("now") or timezone.now(), filter_query=context.get("filter_query") or ""
    )
