"""``calendar_warning`` for every page: the banner about a missing production-calendar year.

Shown to the administration's administrator and its curators (who can load the year) from
1 October of the year before, and all year once deadlines are being estimated.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone


def calendar_warning(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    if actor is None or not (actor.is_admin or actor.is_curator):
        return {}
    from .calendars import calendar_warning as warning

    return {"calendar_warning": warning(actor.administration, timezone.now())}
