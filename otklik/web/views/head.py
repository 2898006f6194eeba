"""The Head's dashboard (П.21, 23) and the role-based home page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from otklik.organization.services import Actor
from otklik.reports import dashboard as reports_dashboard
from otklik.reports.periods import parse_month

from .base import actor_view, reads_figures


@actor_view()
def home(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Curators to the inbox, executors to their cases, the Head to the dashboard."""
    if actor.is_curator:
        return redirect("web:inbox")
    if actor.is_executor:
        return redirect("web:my_cases")
    if actor.is_head:
        return redirect("web:dashboard")
    if actor.is_admin and not actor.sees_everything:
        return redirect("sources:list")
    return redirect("web:board")


@actor_view(reads_figures)
def dashboard(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The month's situation for the Head (``otklik.reports.dashboard``); ``?month=YYYY-MM``."""
    start = None
    try:
        start = parse_month(request.GET["month"])[0] if request.GET.get("month") else None
    except ValueError:
        start = None  # a malformed month shows the current one
    data = reports_dashboard.dashboard(actor, start=start, now=timezone.now())
    return render(
        request,
        "web/dashboard.html",
        {"d": data, "now": data.now, "nav": "dashboard", "is_head": actor.is_head},
    )
