"""The executor's list: their departments' open cases, nearest deadline first (П.9–16)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from otklik.organization.services import Actor

from .. import selectors as web_selectors
from .base import actor_view


@actor_view()
def my_cases(request: HttpRequest, actor: Actor) -> HttpResponse:
    now = timezone.now()
    page = web_selectors.my_cases(actor, now=now, page=request.GET.get("page"))
    cases = page.object_list
    for case in cases:
        case.my_assignments = [  # type: ignore[attr-defined]
            a
            for a in case.assignments.all()
            if a.is_active and (a.department_id in actor.department_ids or a.assignee_id == actor.user_id)
        ]
    return render(request, "web/my_cases.html", {"cases": cases, "page": page, "now": now, "nav": "my"})
