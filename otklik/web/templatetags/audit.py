"""The case history's audited changes (П.20): each changed field with its value before and after."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .otklik import importance_title, moment

register = template.Library()

FIELD_TITLES = {
    "summary": gettext_lazy("Суть"),
    "topics": gettext_lazy("Тематика"),
    "place": gettext_lazy("Место"),
    "importance": gettext_lazy("Важность"),
    "significant": gettext_lazy("Социально значимое (п. 23)"),
    "shortened_deadline": gettext_lazy("Сокращённый срок (п. 8)"),
}


def _shown(name: str, value: Any) -> Any:
    if value in (None, "", []):
        return _("не указано")
    if name == "topics":
        return ", ".join(str(v) for v in value)
    if name == "importance":
        return importance_title(value)
    if name == "significant":
        return _("да") if value else _("нет")
    if name == "shortened_deadline":
        try:
            return moment(dt.datetime.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    return f"«{value}»"


@register.filter
def audit_changes(payload: Any) -> list[tuple[str, Any, Any]]:
    """``(field title, before, after)`` of an event payload's ``changes``, in a stable order."""
    changes = payload.get("changes") if isinstance(payload, dict) else None
    if not isinstance(changes, dict):
        return []
    rows = []
    for name, change in changes.items():
        if isinstance(change, dict):
            title = str(FIELD_TITLES.get(name, name))
            rows.append((title, _shown(name, change.get("from")), _shown(name, change.get("to"))))
    return rows
