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
    return render(request, "web/my_cases.html", {"cases": page.object_list, "page": page, "now": now, "nav": "my"})
