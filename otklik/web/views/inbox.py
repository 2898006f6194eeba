"""The curator's inbox as a work queue (П.6, 8): the list by deadline, its filters and search, the
live counter, bulk decisions and the dismissed messages. One message's page and its decisions
are in ``curator.py``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from otklik.cases import actions, selectors
from otklik.core.errors import ApplicationError
from otklik.core.fulltext import search_messages
from otklik.domain.workflow import State
from otklik.inbox import actions as inbox_actions
from otklik.inbox.models import Message
from otklik.organization.services import Actor
from otklik.sla import clock
from otklik.sla.services import limit_seconds

from .. import forms, queue
from .. import selectors as web_selectors
from .base import actor_view, form_errors, is_curator
from .curator import BULK_ACTIONS, _int, _limit_text, _queue_filter_of, _with_query

INBOX_PAGE = 50


def _message_rows(
    actor: Actor, page_messages: list[Message], now: dt.datetime, *, with_presence: bool = True
) -> list[dict[str, Any]]:
    adm = actor.administration
    present = (
        queue.presence([m.pk for m in page_messages], now=now, exclude_user=actor.user_id) if with_presence else {}
    )
    return [
        {
            "message": m,
            "route": clock.route_countdown(adm, received_at=m.received_at, now=now),
            "present": present.get(m.pk, []),
        }
        for m in page_messages
    ]


def _queue_context(actor: Actor, f: queue.QueueFilter) -> dict[str, Any]:
    route = actor.administration.regulation.limit("route")
    return {
        "filter": f,
        "filter_query": f.query(),
        "route_limit": route,
        "route_limit_text": _limit_text(route),
        "route_limit_seconds": limit_seconds(route),
        "dismiss_reasons": forms.DISMISS_REASONS,
        "refusal_grounds": forms.REFUSAL_GROUNDS,
        **queue.filter_choices(actor),
    }


@actor_view(is_curator)
def inbox(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The work queue: new messages, nearest deadline first, filtered, with bulk decisions."""
    now = timezone.now()
    f = queue.QueueFilter.from_query(request.GET)
    page = Paginator(queue.queue(actor, f), INBOX_PAGE).get_page(request.GET.get("page"))
    rows = _message_rows(actor, list(page.object_list), now)
    triage_cases = list(
        selectors.case_list(actor, selectors.CaseFilter(state=[State.TRIAGE.value]), order="deadline")[:50]
    )
    newest = Message.objects.filter(administration=actor.administration).order_by("-id").values_list("id", flat=True)
    return render(
        request,
        "web/inbox.html",
        {
            **_queue_context(actor, f),
            "rows": rows,
            "page": page,
            "total": page.paginator.count,
            "after": newest.first() or 0,
            "triage_cases": triage_cases,
            "now": now,
            "nav": "inbox",
        },
    )


@actor_view(is_curator)
def inbox_fresh(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The live part of the queue (polled by htmx): the counter, and the rows of the messages that
    came after ``after`` (appended when the person sees the end of the queue)."""
    now = timezone.now()
    f = queue.QueueFilter.from_query(request.GET)
    after = _int(request.GET.get("after")) or 0
    qs = queue.queue(actor, f)
    total = qs.count()
    fresh = list(qs.filter(pk__gt=after)[:INBOX_PAGE]) if request.GET.get("last") == "1" else []
    newest = Message.objects.filter(administration=actor.administration).order_by("-id").values_list("id", flat=True)
    return render(
        request,
        "web/_inbox_fresh.html",
        {
            **_queue_context(actor, f),
            "rows": _message_rows(actor, fresh, now),
            "total": total,
            "after": max([after, newest.first() or 0]),
            "last": request.GET.get("last") == "1",
            "new_count": qs.filter(pk__gt=after).count(),
            "now": now,
        },
    )


@actor_view(is_curator)
def dismissed_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Messages marked «не требует реагирования», latest decision first, with who, why and undo."""
    now = timezone.now()
    tz = timezone.get_current_timezone()
    qs: QuerySet[Message] = (
        Message.objects.filter(administration=actor.administration, status=Message.Status.DISMISSED)
        .select_related("source", "dismissed_by")
        .order_by("-dismissed_at", "-id")
    )
    q = (request.GET.get("q") or "").strip()[:200]
    if q:
        qs = search_messages(qs, q)
    page = Paginator(qs, INBOX_PAGE).get_page(request.GET.get("page"))
    rows = [{"message": m, "undo": inbox_actions.can_undo_dismissal(m, now=now, tz=tz)} for m in page.object_list]
    return render(
        request,
        "web/messages_dismissed.html",
        {"rows": rows, "page": page, "total": page.paginator.count, "q": q, "now": now, "nav": "inbox"},
    )


@require_POST
@actor_view(is_curator)
def message_undismiss(request: HttpRequest, actor: Actor, message_id: int) -> HttpResponse:
    message = selectors.message_get(actor, message_id)
    inbox_actions.message_undismiss(message=message, actor_id=actor.user_id, tz=timezone.get_current_timezone())
    messages.success(request, _("Решение отменено: сообщение снова во входящих."))
    return redirect("web:message", message_id=message.pk)


@require_POST
@actor_view(is_curator)
def inbox_bulk(request: HttpRequest, actor: Actor) -> HttpResponse:
    """One decision for the ticked messages: dismiss with a reason, refuse under П.19, or attach
    to an open case. Each message goes through its own action; those already decided by someone
    else are named and skipped, the rest are done."""
    f = _queue_filter_of(request)
    back_to = redirect(_with_query(reverse("web:inbox"), f.query()))
    action = request.POST.get("action")
    ids = [i for i in (_int(v) for v in request.POST.getlist("messages")) if i]
    if action not in BULK_ACTIONS:
        messages.error(request, _("Выберите действие для отмеченных сообщений."))
        return back_to
    if not ids:
        messages.error(request, _("Отметьте сообщения, к которым применить действие."))
        return back_to
    chosen = list(Message.objects.filter(administration=actor.administration, pk__in=ids).order_by("received_at", "id"))
    reason = ""
    case = None
    if action == "dismiss":
        dismiss_form = forms.DismissForm({"reason": request.POST.get("reason", "")})
        if not dismiss_form.is_valid():
            form_errors(request, dismiss_form)
            return back_to
        reason = dismiss_form.cleaned_data["reason"]
    elif action == "refuse":
        refusal = forms.RefusalForm(
            {"grounds": request.POST.getlist("grounds"), "note": request.POST.get("reason", "")}
        )
        if not refusal.is_valid():
            form_errors(request, refusal)
            return back_to
        reason = refusal.reason()
    else:
        attach = forms.AttachToCaseForm({"case_number": request.POST.get("case_number", "")})
        if not attach.is_valid():
            form_errors(request, attach)
            return back_to
        case = web_selectors.visible_case_by_number(actor, attach.cleaned_data["case_number"])
        if case is None:
            messages.error(request, _("Обращение № %(n)s не найдено.") % {"n": attach.cleaned_data["case_number"]})
            return back_to
    done, skipped = 0, []
    for message in chosen:
        if message.status != Message.Status.NEW:
            skipped.append(message)
            continue
        try:
            with transaction.atomic():
                if action == "dismiss":
                    inbox_actions.message_dismiss(message=message, actor_id=actor.user_id, reason=reason)
                elif action == "refuse":
                    actions.message_refuse(message=message, actor=actor, reason=reason)
                else:
                    assert case is not None
                    case = actions.case_attach_message(case=case, message=message, actor=actor)
        except ApplicationError as exc:
            messages.error(request, f"{message.text[:60]}: {exc.message}")
            skipped.append(message)
            continue
        done += 1
    inbox_actions.message_mark_closed(message_ids=[m.pk for m in chosen], user_id=actor.user_id)
    titles = {
        "dismiss": ngettext(
            "Отмечено как не требующее реагирования: %(n)s.", "Отмечены как не требующие реагирования: %(n)s.", done
        ),
        "refuse": ngettext("Не подлежит обработке (п. 19): %(n)s.", "Не подлежат обработке (п. 19): %(n)s.", done),
        "attach": ngettext(
            "Добавлено к обращению № %(case)s: %(n)s.", "Добавлены к обращению № %(case)s: %(n)s.", done
        ),
    }
    if done:
        messages.success(request, titles[action] % {"n": done, "case": case.number if case else ""})
    if skipped:
        messages.warning(request, _("Пропущено — их уже разобрали: %(n)s.") % {"n": len(skipped)})
    return back_to
