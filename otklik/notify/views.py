"""Notifications page, channel preferences and shortcoming notices (П.22) — thin views."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from otklik.core.errors import ApplicationError
from otklik.organization.models import Department
from otklik.organization.services import Actor, actor_for

from . import shortcomings as sc
from .models import Delivery, Notification, NotificationPreference, ShortcomingNotice
from .services import mark_read

NOTIFICATIONS_PAGE = 50


def _actor(request: HttpRequest) -> Actor | None:
    try:
        return actor_for(request.user, request.GET.get("adm") or None)  # type: ignore[arg-type]
    except ApplicationError:
        return None


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    uid = int(request.user.pk or 0)
    page = Paginator(Notification.objects.filter(recipient_id=uid), NOTIFICATIONS_PAGE).get_page(
        request.GET.get("page")
    )
    items = list(page.object_list)
    prefetch_related_objects(items, "deliveries")
    failed = (
        Delivery.objects.filter(notification__recipient_id=uid, status=Delivery.Status.FAILED)
        .select_related("notification")
        .order_by("-notification__created_at")[:50]
    )
    return render(request, "notify/list.html", {"items": items, "page": page, "failed": failed})


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    ids = [int(x) for x in request.POST.getlist("id") if x.isdigit()]
    mark_read(user_id=int(request.user.pk or 0), notification_ids=ids or None)
    return redirect("notify:list")


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    item = Notification.objects.filter(recipient_id=request.user.pk, pk=pk).first()
    if item is None:
        raise Http404
    mark_read(user_id=int(request.user.pk or 0), notification_ids=[pk])
    if item.url and url_has_allowed_host_and_scheme(item.url, allowed_hosts={request.get_host()}):
        return redirect(item.url)
    return redirect("notify:list")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    pref, _created = NotificationPreference.objects.get_or_create(user=request.user)
    if request.method == "POST":
        pref.email_enabled = request.POST.get("email_enabled") == "on"
        pref.telegram_enabled = request.POST.get("telegram_enabled") == "on"
        pref.telegram_chat_id = request.POST.get("telegram_chat_id", "").strip()[:64]
        if pref.telegram_enabled and not pref.telegram_chat_id:
            messages.error(request, _("Укажите идентификатор чата Telegram."))
        else:
            pref.save()
            messages.success(request, _("Настройки сохранены."))
            return redirect("notify:preferences")
    return render(request, "notify/preferences.html", {"pref": pref})


@login_required
def shortcoming_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if actor is None:
        return HttpResponseForbidden(_("Нет доступа."))
    return render(request, "notify/shortcomings.html", {"notices": sc.notices_for(actor)[:200], "actor": actor})


@login_required
def shortcoming_new(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if actor is None or not actor.is_head:
        return HttpResponseForbidden(_("Уведомление о недостатках направляет Глава (п. 22)."))
    departments = Department.objects.filter(administration=actor.administration, is_active=True)
    data = request.POST if request.method == "POST" else request.GET
    if request.method == "POST":
        try:
            numbers = [int(x) for x in data.get("cases", "").replace(",", " ").split() if x.strip("№ ").isdigit()]
            notice = sc.shortcoming_send(
                actor=actor,
                department_id=int(data.get("department") or 0),
                text=data.get("text", ""),
                case_numbers=numbers,
                period_start=_date(data.get("period_start")),
                period_end=_date(data.get("period_end")),
            )
        except (ApplicationError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
        else:
            messages.success(request, _("Уведомление направлено."))
            return redirect("notify:shortcoming", pk=notice.pk)
    return render(request, "notify/shortcoming_new.html", {"departments": departments, "data": data})


def _date(raw: str | None) -> dt.date | None:
    return dt.date.fromisoformat(raw) if raw else None


@login_required
def shortcoming_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    if actor is None:
        return HttpResponseForbidden(_("Нет доступа."))
    notice = sc.notices_for(actor).filter(pk=pk).first()
    if notice is None:
        raise Http404
    if request.method == "POST":
        try:
            sc.shortcoming_acknowledge(notice=notice, actor=actor, comment=request.POST.get("comment", ""))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Уведомление принято к сведению."))
        return redirect("notify:shortcoming", pk=pk)
    return render(
        request,
        "notify/shortcoming_detail.html",
        {
            "notice": notice,
            "cases": notice.cases.order_by("number"),
            "can_ack": sc.can_acknowledge(notice, actor) and notice.status == ShortcomingNotice.Status.SENT,
        },
    )
