"""Notifications page, channel preferences and shortcoming notices (П.22) — thin views."""

from __future__ import annotations

import datetime as dt
import hmac
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from otklik.core.errors import ApplicationError
from otklik.organization.models import Department, Membership
from otklik.organization.services import Actor, actor_for

from . import shortcomings as sc
from . import telegram_link as tg
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
    # A delivery error is the administrator's to fix (the status page), not every person's to read.
    return render(request, "notify/list.html", {"items": items, "page": page, "can_see_status": _status_actor(request)})


POLL_ITEMS = 5


@login_required
def notification_poll(request: HttpRequest) -> HttpResponse:
    """The bell's live figure and the latest unread notifications (for the opt-in browser
    notifications of ``web/notifications.js``): small JSON, titles only."""
    uid = int(request.user.pk or 0)
    unread = Notification.objects.filter(recipient_id=uid, read_at__isnull=True)
    latest = [
        {"id": n.pk, "title": n.title, "urgent": n.urgent, "url": reverse("notify:open", args=[n.pk])}
        for n in unread.order_by("-id").only("id", "title", "urgent")[:POLL_ITEMS]
    ]
    return JsonResponse({"unread": unread.count(), "latest": latest})


def _status_actor(request: HttpRequest) -> Actor | None:
    """The administrator (or staff) who sees delivery errors of the administration's people."""
    actor: Actor | None = getattr(request, "actor", None)
    if actor is not None and actor.is_admin:
        return actor
    return None


# What a delivery error means, in words a person can act on (the raw error stays in the admin).
_ERROR_WORDS = (
    ("Connection refused", _lazy("сервер не отвечает (соединение отклонено)")),
    ("Errno 111", _lazy("сервер не отвечает (соединение отклонено)")),
    ("timed out", _lazy("сервер не ответил вовремя")),
    ("Name or service not known", _lazy("адрес сервера не найден")),
    ("Не настроен бот", _lazy("бот Telegram для уведомлений не настроен")),
    ("Не указан идентификатор чата", _lazy("человек не привязал Telegram")),
    ("chat not found", _lazy("чат Telegram не найден: человеку нужно заново привязать Telegram")),
    ("blocked by the user", _lazy("человек остановил бота в Telegram")),
    ("Почтовый сервер не принял", _lazy("почтовый сервер не принял письмо")),
)


def delivery_error_words(error: str) -> str:
    for needle, words in _ERROR_WORDS:
        if needle.lower() in error.lower():
            return str(words)
    return error


@login_required
def delivery_status(request: HttpRequest) -> HttpResponse:
    """The administrator's status page of notification channels: what failed, to whom, why, and
    when the next attempt is."""
    actor = _status_actor(request)
    if actor is None:
        raise PermissionDenied
    adm = actor.administration
    # The administration's notifications, and those without one (reminders) to its people.
    people = Membership.objects.filter(administration=adm).values("user_id")
    ours = Q(notification__administration=adm) | Q(
        notification__administration__isnull=True, notification__recipient_id__in=people
    )
    failed = list(
        Delivery.objects.filter(ours, status=Delivery.Status.FAILED)
        .select_related("notification__recipient")
        .order_by("-notification__created_at")[:200]
    )
    rows = [{"delivery": d, "why": delivery_error_words(d.last_error)} for d in failed]
    pending = Delivery.objects.filter(ours, status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]).count()
    return render(request, "notify/status.html", {"rows": rows, "pending": pending, "nav": "status"})


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
    """Channels: e-mail, Telegram (bound by a /start code from the bot's link), the browser."""
    pref, _created = NotificationPreference.objects.get_or_create(user=request.user)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "telegram_link":
            if not tg.bot_username():
                messages.error(request, _("Бот Telegram для уведомлений не настроен — обратитесь к администратору."))
            else:
                tg.link_start(pref)
            return redirect("notify:preferences")
        if action == "telegram_unlink":
            tg.unlink(pref)
            messages.success(request, _("Telegram отвязан: уведомления туда больше не приходят."))
            return redirect("notify:preferences")
        pref.email_enabled = request.POST.get("email_enabled") == "on"
        telegram = request.POST.get("telegram_enabled") == "on"
        if telegram and not pref.telegram_chat_id:
            messages.error(request, _("Сначала привяжите Telegram: нажмите «Привязать Telegram» и откройте ссылку."))
        else:
            pref.telegram_enabled = telegram
            pref.save(update_fields=["email_enabled", "telegram_enabled"])
            messages.success(request, _("Настройки сохранены."))
            return redirect("notify:preferences")
    link = ""
    if pref.telegram_link_code and pref.telegram_link_expires_at and pref.telegram_link_expires_at > timezone.now():
        link = tg.deep_link(pref.telegram_link_code)
    return render(
        request,
        "notify/preferences.html",
        {"pref": pref, "telegram_link": link, "telegram_bot": tg.bot_username(), "nav": "notify"},
    )


@csrf_exempt
@require_POST
def telegram_webhook(request: HttpRequest) -> HttpResponse:
    """The notification bot's webhook: Telegram's secret header must match; /start binds a chat."""
    secret = getattr(settings, "OTKLIK_NOTIFY_TELEGRAM_SECRET", "")
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not secret or not hmac.compare_digest(secret, given):
        return HttpResponseForbidden()
    try:
        update = json.loads(request.body or b"{}")
    except ValueError:
        return HttpResponse(status=400)
    if isinstance(update, dict):
        tg.handle_update(update)
    return JsonResponse({"ok": True})


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
