"""Template helpers of the web UI: Russian titles of states, actions, stages, networks; deadlines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.cases.actions import ACTION_TITLES
from otklik.domain.networks import network
from otklik.domain.workflow import DRAFT_KIND_TITLES, IMPORTANCE_TITLES, STAGE_TITLES, STATE_TITLES

register = template.Library()


def _title(table: dict[Any, str], key: Any) -> str:
    for k, v in table.items():
        if str(k) == str(key):
            return _(v)
    return str(key or "")


@register.filter
def state_title(value: str) -> str:
    return _title(STATE_TITLES, value)


@register.filter
def action_title(value: str) -> str:
    return _(ACTION_TITLES.get(value, value))


@register.filter
def stage_title(value: str) -> str:
    return _title(STAGE_TITLES, value)


@register.filter
def importance_title(value: str) -> str:
    return _title(IMPORTANCE_TITLES, value)


@register.filter
def draft_kind_title(value: str) -> str:
    return _title(DRAFT_KIND_TITLES, value)


@register.filter
def network_title(code: str) -> str:
    return _(network(code).title)


@register.filter
def iso(value: dt.datetime | None) -> str:
    """ISO 8601 in UTC for ``data-due`` attributes the countdown script reads."""
    if not value:
        return ""
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@register.simple_tag
def left_text(due: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """Server-rendered text of a countdown ("осталось 25 мин" / "просрочено на 1 ч 5 мин")."""
    if not due:
        return ""
    now = now or timezone.now()
    seconds = int((due - now).total_seconds())
    words = _duration(abs(seconds))
    return _("осталось %(t)s") % {"t": words} if seconds >= 0 else _("просрочено на %(t)s") % {"t": words}


def _duration(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(_("%(n)s д") % {"n": days})
    if hours:
        parts.append(_("%(n)s ч") % {"n": hours})
    if not days:
        parts.append(_("%(n)s мин") % {"n": minutes})
    return " ".join(parts)


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
