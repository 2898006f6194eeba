"""``{% load notify %}{% unread_notifications %}`` — the number of unread notifications."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: dict[str, Any]) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    from otklik.notify.services import unread_count

    return unread_count(int(user.pk))
