"""The Head's dashboard (П.21, 23) and the role-based home page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.organization.services import Actor

from .. import selectors as web_selectors
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
    adm = actor.administration
    now = timezone.now()
    bounds = web_selectors.period_bounds(now, adm.timezone)
    periods = [
        web_selectors.period_figures(adm, _("Сегодня"), *bounds["today"]),
        web_selectors.period_figures(adm, _("Этот месяц"), *bounds["month"]),
    ]
    return render(
        request,
        "web/dashboard.html",
        {
            "periods": periods,
            "open_overdue": web_selectors.open_overdue_count(adm, now),
            "significant": web_selectors.significant_cases(actor),
            "notifications": web_selectors.notifications_for(actor),
            "now": now,
            "nav": "dashboard",
        },
    )
