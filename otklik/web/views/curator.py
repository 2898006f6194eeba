"""The curator's screens (П.6, 8, 12, 16, 17, 19): inbox, triage of a message, manual entry,
the review queue and the board of open cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from otklik.cases import actions, selectors
from otklik.domain.networks import NETWORK_CHOICES
from otklik.domain.regulation import Limit, Unit
from otklik.domain.workflow import OPEN_STATES, STATE_TITLES, State
from otklik.inbox import actions as inbox_actions
from otklik.inbox.models import Message
from otklik.organization.models import Department, Place, Topic
from otklik.organization.services import Actor
from otklik.sla import clock
from otklik.sla.services import limit_seconds

from .. import forms
from .. import selectors as web_selectors
from .base import actor_view, form_errors, is_curator, sees_everything
from .figures import figure_filter, figure_title

INBOX_PAGE = 50


def _departments(actor: Actor) -> list[Department]:
    return list(Department.objects.filter(administration=actor.administration, is_active=True))


def triage_initial(message: Message, actor: Actor) -> dict[str, Any]:
    """Preselect the triage suggestions (Message.triage) that match the reference data.

    The engine's output (``otklik.triage.engine.output``) carries ``topic_id``/``place_id`` and
    ``repeat_of_number`` when it knows the database; otherwise codes and names are matched.
    """
    hints = message.triage or {}
    adm = actor.administration
    # «summary» joins a title and its body with punctuation (a one-line field drops line breaks)
    initial: dict[str, Any] = {"importance": "normal", "summary": hints.get("summary") or message.text[:300]}
    topics = Topic.objects.filter(administration=adm, is_active=True)
    topic = None
    if isinstance(hints.get("topic_id"), int):
        topic = topics.filter(pk=hints["topic_id"]).first()
    if topic is None and hints.get("topic"):
        topic = topics.filter(code=hints["topic"]).first()
    if topic is None and hints.get("topic_name"):
        topic = topics.filter(name=hints["topic_name"]).first()
    if topic is not None:
        initial["topics"] = [topic.pk]
    places = [p for p in hints.get("places") or [] if isinstance(p, dict)]
    if places:
        first = places[0]
        qs = Place.objects.filter(administration=adm)
        place = qs.filter(pk=first["place_id"]).first() if isinstance(first.get("place_id"), int) else None
        if place is None and first.get("name"):
            place = qs.filter(name=first["name"]).first()
        if place is not None:
            initial["place"] = place.pk
    importance = hints.get("importance")
    if isinstance(importance, dict) and importance.get("level") in {"low", "normal", "high", "critical"}:
        initial["importance"] = importance["level"]
    if hints.get("significant") is True:
        initial["significant"] = True
    number = hints.get("repeat_of_number")
    if not isinstance(number, int) and isinstance(hints.get("repeat_of"), dict):
        number = hints["repeat_of"].get("case_number")
    if isinstance(number, int):
        initial["repeat_of"] = number
    return initial


def _message_rows(actor: Actor, page_messages: list[Message], now: dt.datetime) -> list[dict[str, Any]]:
    adm = actor.administration
    return [
        {"message": m, "route": clock.route_countdown(adm, received_at=m.received_at, now=now)} for m in page_messages
    ]


@actor_view(is_curator)
def inbox(request: HttpRequest, actor: Actor) -> HttpResponse:
    now = timezone.now()
    qs = selectors.inbox_messages(actor)
    page = Paginator(qs, INBOX_PAGE).get_page(request.GET.get("page"))
    triage_cases = list(
        selectors.case_list(actor, selectors.CaseFilter(state=[State.TRIAGE.value]), order="deadline")[:50]
    )
    return render(
        request,
        "web/inbox.html",
        {
            "rows": _message_rows(actor, list(page.object_list), now),
            "page": page,
            "total": page.paginator.count,
            "triage_cases": triage_cases,
            "route_limit": actor.administration.regulation.limit("route"),
            "route_limit_text": _limit_text(actor.administration.regulation.limit("route")),
            "route_limit_seconds": limit_seconds(actor.administration.regulation.limit("route")),
            "now": now,
            "nav": "inbox",
        },
    )


def _limit_text(limit: Limit) -> str:
    """``Limit.describe()`` (Russian, from the pure domain) or its translation, e.g. "cl. 8: 30 working minutes"."""
    if (get_language() or "ru").startswith("ru"):
        return limit.describe()
    n = limit.value
    words = {
        Unit.WORKING_MINUTES: ngettext("%(n)s рабочая минута", "%(n)s рабочих минут", n),
        Unit.WORKING_HOURS: ngettext("%(n)s рабочий час", "%(n)s рабочих часов", n),
        Unit.WORKING_DAYS: ngettext("%(n)s рабочий день", "%(n)s рабочих дней", n),
        Unit.CALENDAR_MINUTES: ngettext("%(n)s минута", "%(n)s минут", n),
        Unit.CALENDAR_HOURS: ngettext("%(n)s час", "%(n)s часов", n),
        Unit.CALENDAR_DAYS: ngettext("%(n)s календарный день", "%(n)s календарных дней", n),
    }[limit.unit] % {"n": n}
    point = (
        _("п. %(n)s") % {"n": limit.point.removeprefix("П.").strip()} if limit.point.startswith("П.") else limit.point
    )
    return f"{point}: {words}"


@actor_view(is_curator)
def message_detail(request: HttpRequest, actor: Actor, message_id: int) -> HttpResponse:
    message = selectors.message_get(actor, message_id)
    if message.status != Message.Status.NEW:
        if message.case is not None:
            messages.info(request, _("Сообщение уже разобрано: обращение № %(n)s.") % {"n": message.case.number})
            return redirect("web:case", case_id=message.case_id)
        messages.info(request, _("Сообщение отмечено как не требующее реагирования."))
        return redirect("web:inbox")
    adm = actor.administration
    detect_form = forms.DetectForm(administration=adm, initial=triage_initial(message, actor))
    open_cases = list(selectors.case_list(actor, selectors.CaseFilter(open_only=True), order="detected")[:100])
    now = timezone.now()
    return render(
        request,
        "web/message.html",
        {
            "message": message,
            "hints": message.triage or {},
            "route": clock.route_countdown(adm, received_at=message.received_at, now=now),
            "route_limit": adm.regulation.limit("route"),
            "detect_form": detect_form,
            "departments": _departments(actor),
            "refuse_form": forms.RefuseForm(),
            "attach_form": forms.AttachToCaseForm(),
            "open_cases": open_cases,
            "now": now,
            "nav": "inbox",
        },
    )


def _triage_data(form: forms.TriageFieldsForm, summary: str | None = None) -> actions.TriageData:
    data = form.cleaned_data
    return actions.TriageData(
        topic_ids=[t.pk for t in data.get("topics") or []],
        place_id=data["place"].pk if data.get("place") else None,
        importance=data.get("importance") or None,
        shortened_deadline=data.get("shortened_deadline"),
        summary=summary,
        significant=bool(data.get("significant")),
    )


@require_POST
@actor_view(is_curator)
def message_detect(request: HttpRequest, actor: Actor, message_id: int) -> HttpResponse:
    """ "Needs a response": create the case with the triage, as a repeat if said (П.17), and route."""
    message = selectors.message_get(actor, message_id)
    form = forms.DetectForm(request.POST, administration=actor.administration)
    if not form.is_valid():
        form_errors(request, form)
        return redirect("web:message", message_id=message.pk)
    repeat = None
    if form.cleaned_data.get("repeat_of"):
        repeat = web_selectors.visible_case_by_number(actor, form.cleaned_data["repeat_of"])
        if repeat is None:
            messages.error(request, _("Обращение № %(n)s не найдено.") % {"n": form.cleaned_data["repeat_of"]})
            return redirect("web:message", message_id=message.pk)
    department_ids = forms.parse_route(request.POST, actor.administration)
    with transaction.atomic():
        case = actions.case_detect(
            message=message,
            actor=actor,
            triage=_triage_data(form, form.cleaned_data.get("summary") or None),
            repeat_of=repeat,
        )
        if department_ids:
            case = actions.case_route(
                case=case,
                actor=actor,
                targets=[actions.RouteTarget(department_id=d) for d in department_ids],
                comment=form.cleaned_data.get("comment") or "",
            )
    if department_ids:
        messages.success(request, _("Обращение № %(n)s создано и направлено в подразделения.") % {"n": case.number})
        return redirect("web:inbox")
    messages.success(request, _("Обращение № %(n)s создано. Направьте его в подразделение.") % {"n": case.number})
    return redirect("web:case", case_id=case.pk)


@require_POST
@actor_view(is_curator)
def message_refuse(request: HttpRequest, actor: Actor, message_id: int) -> HttpResponse:
    message = selectors.message_get(actor, message_id)
    form = forms.RefuseForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return redirect("web:message", message_id=message.pk)
    case = actions.message_refuse(message=message, actor=actor, reason=form.cleaned_data["reason"])
    messages.success(
        request, _("Решение записано: обращение № %(n)s не подлежит обработке (п. 19).") % {"n": case.number}
    )
    return redirect("web:inbox")


@require_POST
@actor_view(is_curator)
def message_attach(request: HttpRequest, actor: Actor, message_id: int) -> HttpResponse:
    message = selectors.message_get(actor, message_id)
    form = forms.AttachToCaseForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return redirect("web:message", message_id=message.pk)
    case = web_selectors.visible_case_by_number(actor, form.cleaned_data["case_number"])
    if case is None:
        messages.error(request, _("Обращение № %(n)s не найдено.") % {"n": form.cleaned_data["case_number"]})
        return redirect("web:message", message_id=message.pk)
    actions.case_attach_message(case=case, message=message, actor=actor)
    messages.success(request, _("Сообщение добавлено к обращению № %(n)s.") % {"n": case.number})
    return redirect("web:inbox")


@require_POST
@actor_view(is_curator)
def message_dismiss(request: HttpRequest, actor: Actor, message_id: int) -> HttpResponse:
    message = selectors.message_get(actor, message_id)
    inbox_actions.message_dismiss(message=message, actor_id=actor.user_id)
    messages.success(request, _("Сообщение отмечено как не требующее реагирования."))
    return redirect("web:inbox")


@actor_view(is_curator)
def message_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Manual entry: a message seen in a messenger or told by phone."""
    form = forms.ManualMessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        message = inbox_actions.message_create_manual(
            administration=actor.administration,
            actor_id=actor.user_id,
            network=data["network"],
            text=data["text"],
            author_name=data["author_name"],
            url=data["url"],
            published_at=data.get("published_at"),
        )
        messages.success(request, _("Сообщение добавлено во входящие."))
        return redirect("web:message", message_id=message.pk)
    return render(request, "web/message_new.html", {"form": form, "nav": "inbox"})


REVIEW_PAGE = 20


@actor_view(is_curator)
def review_queue(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Drafts waiting for the curator, oldest first, a page at a time (the first message and the
    contributions of each are prefetched for the page only)."""
    page = Paginator(selectors.review_queue(actor), REVIEW_PAGE).get_page(request.GET.get("page"))
    drafts = list(page.object_list)
    prefetch_related_objects(drafts, "attachments", "case__assignments__department")
    first_messages = selectors.first_messages([d.case_id for d in drafts])
    adm = actor.administration
    now = timezone.now()
    rows = []
    review = adm.regulation.limit("review")
    for draft in drafts:
        due = adm.calendar.add(draft.submitted_at, review)
        cd = clock.countdown(
            adm.calendar, due=due, now=now, limit_seconds=limit_seconds(review), started=draft.submitted_at
        )
        rows.append(
            {
                "draft": draft,
                "due": due,
                "countdown": cd,
                "level": cd.level,
                "message": first_messages.get(draft.case_id),
                "contributions": [a for a in draft.case.assignments.all() if a.contribution],
            }
        )
    return render(request, "web/review.html", {"rows": rows, "page": page, "now": now, "nav": "review"})


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@actor_view(sees_everything)
def board(request: HttpRequest, actor: Actor) -> HttpResponse:
    adm = actor.administration
    state = request.GET.get("state") or None
    if state not in {s.value for s in OPEN_STATES}:
        state = None
    network_codes = {c for c, _t in NETWORK_CHOICES}
    f = web_selectors.BoardFilter(
        department_id=_int(request.GET.get("department")),
        topic_id=_int(request.GET.get("topic")),
        place_id=_int(request.GET.get("place")),
        network=request.GET.get("network") if request.GET.get("network") in network_codes else None,
        state=state,
        **figure_filter(request),
    )
    now = timezone.now()
    page, counts = web_selectors.board(actor, f, now=now, page=request.GET.get("page"))
    return render(
        request,
        "web/board.html",
        {
            "cases": page.object_list,
            "page": page,
            "filter": f,
            "counts": counts,
            "departments": _departments(actor),
            "topics": Topic.objects.filter(administration=adm, is_active=True),
            "places": Place.objects.filter(administration=adm).select_related("parent"),
            "networks": [(code, _(title)) for code, title in NETWORK_CHOICES],
            "states": [(s.value, _(t)) for s, t in STATE_TITLES.items() if s in OPEN_STATES],
            "now": now,
            "nav": "board",
            "figure": figure_title(f),
        },
    )
