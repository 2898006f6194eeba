"""The curator's screens (П.6, 8, 12, 16, 17, 19): triage of a message and its decisions, manual entry,
the review queue and the board of open cases. The inbox list (the work queue) is ``inbox.py``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from otklik.cases import actions, selectors
from otklik.domain.networks import NETWORK_CHOICES
from otklik.domain.regulation import Limit, Unit
from otklik.domain.workflow import OPEN_STATES, STATE_TITLES
from otklik.inbox import actions as inbox_actions
from otklik.inbox.models import Message
from otklik.organization.models import Department, Place, Topic
from otklik.organization.services import Actor
from otklik.sla import clock
from otklik.sla.services import limit_seconds

from .. import forms, queue
from .. import selectors as web_selectors
from .base import actor_view, form_errors, is_curator, sees_everything
from .figures import figure_filter, figure_title


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


def _queue_filter_of(request: HttpRequest) -> queue.QueueFilter:
    """The queue's filter the person came with (``?q=…`` on the page, ``queue`` in a form)."""
    if request.method == "POST":
        return queue.QueueFilter.from_query(QueryDict(request.POST.get("queue") or ""))
    return queue.QueueFilter.from_query(request.GET)


def _with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


def _after_decision(request: HttpRequest, actor: Actor, message: Message) -> HttpResponse:
    """«Следующее»: after a decision on a message, open the next one of the queue (same filter);
    with ``then=inbox``, or when the queue is empty, go back to the list."""
    inbox_actions.message_mark_closed(message_ids=[message.pk], user_id=actor.user_id)
    f = _queue_filter_of(request)
    nxt = queue.next_message(actor, message, f) if request.POST.get("then") != "inbox" else None
    if nxt is None:
        return redirect(_with_query(reverse("web:inbox"), f.query()))
    return redirect(_with_query(reverse("web:message", args=[nxt.pk]), f.query()))


def _selected_departments(hints: dict[str, Any], departments: list[Department]) -> list[int]:
    """The departments competent for the suggested topic (the triage's ``departments``), in order."""
    active = {d.pk for d in departments}
    chosen: list[int] = []
    for d in hints.get("departments") or []:
        pk = d.get("id") if isinstance(d, dict) else None
        if isinstance(pk, int) and pk in active and pk not in chosen:
            chosen.append(pk)
    return chosen


def _message_page(
    request: HttpRequest,
    actor: Actor,
    message: Message,
    *,
    detect_form: forms.DetectForm | None = None,
    refusal_form: forms.RefusalForm | None = None,
    dismiss_form: forms.DismissForm | None = None,
    attach_form: forms.AttachToCaseForm | None = None,
    selected: list[int] | None = None,
    orders: dict[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    adm = actor.administration
    hints = message.triage or {}
    initial = triage_initial(message, actor)
    departments = _departments(actor)
    if selected is None:
        selected = _selected_departments(hints, departments)
        orders = {pk: str(i) for i, pk in enumerate(selected, 1)} if len(selected) > 1 else {}
    raw_screen = hints.get("screen")
    screen: dict[str, Any] = raw_screen if isinstance(raw_screen, dict) else {}
    flagged = screen.get("processable") is False
    grounds = [g for g in screen.get("grounds") or [] if g in dict(forms.REFUSAL_GROUNDS)]
    f = _queue_filter_of(request)
    now = timezone.now()
    open_cases = list(selectors.case_list(actor, selectors.CaseFilter(open_only=True), order="detected")[:100])
    nxt = queue.next_message(actor, message, f)
    return render(
        request,
        "web/message.html",
        {
            "message": message,
            "hints": hints,
            "route": clock.route_countdown(adm, received_at=message.received_at, now=now),
            "route_limit": adm.regulation.limit("route"),
            "detect_form": detect_form or forms.DetectForm(administration=adm, initial=initial),
            "departments": departments,
            "selected_departments": selected,
            "department_orders": orders or {},
            "refusal_form": refusal_form or forms.RefusalForm(initial={"grounds": grounds}),
            "refusal_suggested": flagged,
            "dismiss_form": dismiss_form or forms.DismissForm(),
            "dismiss_reasons": forms.DISMISS_REASONS,
            "attach_form": attach_form or forms.AttachToCaseForm(),
            "open_cases": open_cases,
            "present": queue.presence([message.pk], now=now, exclude_user=actor.user_id).get(message.pk, []),
            "panel": queue.context_panel(actor, message, place_id=initial.get("place")),
            "next_message": nxt,
            "filter_query": f.query(),
            "now": now,
            "nav": "inbox",
        },
        status=status,
    )


@actor_view(is_curator)
def message_detail(request: HttpRequest, actor: Actor, message_id: int) -> HttpResponse:
    message = selectors.message_get(actor, message_id)
    if message.status != Message.Status.NEW:
        if message.case is not None:
            messages.info(request, _("Сообщение уже разобрано: обращение № %(n)s.") % {"n": message.case.number})
            return redirect("web:case", case_id=message.case_id)
        return _dismissed_page(request, actor, message)
    inbox_actions.message_mark_open(message=message, user_id=actor.user_id)
    return _message_page(request, actor, message)


def _dismissed_page(request: HttpRequest, actor: Actor, message: Message) -> HttpResponse:
    """A dismissed message: what was decided, by whom and why, and the undo on the same day."""
    now = timezone.now()
    return render(
        request,
        "web/message_dismissed.html",
        {
            "message": message,
            "dismissals": list(message.dismissals.select_related("dismissed_by", "undone_by")),
            "undo": inbox_actions.can_undo_dismissal(message, now=now, tz=timezone.get_current_timezone()),
            "now": now,
            "nav": "inbox",
        },
    )


@require_POST
@actor_view(is_curator)
def message_presence(request: HttpRequest, actor: Actor, message_id: int) -> HttpResponse:
    """The heartbeat of an open message page: keeps the mark fresh, answers who else is here."""
    message = selectors.message_get(actor, message_id)
    now = timezone.now()
    if message.status == Message.Status.NEW:
        inbox_actions.message_mark_open(message=message, user_id=actor.user_id, now=now)
    present = queue.presence([message.pk], now=now, exclude_user=actor.user_id).get(message.pk, [])
    return render(request, "web/_presence.html", {"message": message, "present": present})


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


def _posted_orders(request: HttpRequest, department_ids: list[int]) -> dict[int, str]:
    return {pk: request.POST.get(f"order_{pk}", "") for pk in department_ids}


@require_POST
@actor_view(is_curator)
def message_detect(request: HttpRequest, actor: Actor, message_id: int) -> HttpResponse:
    """ "Needs a response": create the case with the triage, as a repeat if said (П.17), and route
    it. A case with no department would wait unseen: routing with none ticked is refused, and
    the page comes back with everything typed."""
    message = selectors.message_get(actor, message_id)
    form = forms.DetectForm(request.POST, administration=actor.administration)
    department_ids = forms.parse_route(request.POST, actor.administration)

    def again(error: str | None = None) -> HttpResponse:
        if error:
            messages.error(request, error)
        return _message_page(
            request,
            actor,
            message,
            detect_form=form,
            selected=department_ids,
            orders=_posted_orders(request, department_ids),
            status=400,
        )

    if not form.is_valid():
        form_errors(request, form)
        return again()
    if message.status != Message.Status.NEW:
        messages.error(request, _("Сообщение уже разобрано."))
        return redirect("web:inbox")
    if not department_ids:
        return again(_("Отметьте хотя бы одно подразделение: обращение без подразделения никто не увидит."))
    repeat = None
    if form.cleaned_data.get("repeat_of"):
        repeat = web_selectors.visible_case_by_number(actor, form.cleaned_data["repeat_of"])
        if repeat is None:
            return again(_("Обращение № %(n)s не найдено.") % {"n": form.cleaned_data["repeat_of"]})
    with transaction.atomic():
        case = actions.case_detect(
            message=message,
            actor=actor,
            triage=_triage_data(form, form.cleaned_data.get("summary") or None),
            repeat_of=repeat,
        )
        case = actions.case_route(
            case=case,
            actor=actor,
            targets=[actions.RouteTarget(department_id=d) for d in department_ids],
            comment=form.cleaned_data.get("comment") or "",
        )
    messages.success(request, _("Обращение № %(n)s создано и направлено в подразделения.") % {"n": case.number})
    return _after_decision(request, actor, message)


@require_POST
@actor_view(is_curator)
def message_refuse(request: HttpRequest, actor: Actor, message_id: int) -> HttpResponse:
    message = selectors.message_get(actor, message_id)
    form = forms.RefusalForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return _message_page(request, actor, message, refusal_form=form, status=400)
    case = actions.message_refuse(message=message, actor=actor, reason=form.reason())
    messages.success(
        request, _("Решение записано: обращение № %(n)s не подлежит обработке (п. 19).") % {"n": case.number}
    )
    return _after_decision(request, actor, message)


@require_POST
@actor_view(is_curator)
def message_attach(request: HttpRequest, actor: Actor, message_id: int) -> HttpResponse:
    message = selectors.message_get(actor, message_id)
    form = forms.AttachToCaseForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return _message_page(request, actor, message, attach_form=form, status=400)
    case = web_selectors.visible_case_by_number(actor, form.cleaned_data["case_number"])
    if case is None:
        messages.error(request, _("Обращение № %(n)s не найдено.") % {"n": form.cleaned_data["case_number"]})
        return _message_page(request, actor, message, attach_form=form, status=400)
    actions.case_attach_message(case=case, message=message, actor=actor)
    messages.success(request, _("Сообщение добавлено к обращению № %(n)s.") % {"n": case.number})
    return _after_decision(request, actor, message)


@require_POST
@actor_view(is_curator)
def message_dismiss(request: HttpRequest, actor: Actor, message_id: int) -> HttpResponse:
    message = selectors.message_get(actor, message_id)
    form = forms.DismissForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        if message.status != Message.Status.NEW:
            return redirect("web:inbox")
        return _message_page(request, actor, message, dismiss_form=form, status=400)
    inbox_actions.message_dismiss(message=message, actor_id=actor.user_id, reason=form.cleaned_data["reason"])
    messages.success(
        request,
        _(
            "Сообщение отмечено как не требующее реагирования. Отменить можно сегодня в списке «Не требуют реагирования»."
        ),
    )
    return _after_decision(request, actor, message)


BULK_ACTIONS = ("dismiss", "refuse", "attach")


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
