"""``notify_unread_count`` for every template (the UI shows it next to the bell)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notify_unread_count": 0}
    from .services import unread_count

    return {"notify_unread_count": unread_count(int(user.pk))}
