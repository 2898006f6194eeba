"""The case page and every action on a case, for the curator, the executors and the Head.

The page shows what the actor may do in the case's state; the POST views call the actions of
``otklik.cases.actions`` (the same as the HTTP API), which re-check rights and the workflow.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from otklik.cases import actions, selectors
from otklik.cases.models import Assignment, Attachment, Case, Draft, Publication
from otklik.cases.tasks import publish_answer
from otklik.core.errors import NotFound, PermissionDenied
from otklik.domain.networks import network as network_info
from otklik.domain.workflow import State
from otklik.organization.models import Department
from otklik.organization.services import Actor
from otklik.sla import clock

from .. import forms
from .. import selectors as web_selectors
from .base import actor_view, form_errors, is_curator
from .curator import _triage_data

NETWORK_STYLES = {"vk": "vk", "ok": "ok", "telegram": "telegram"}


def _mine(assignment: Assignment, actor: Actor) -> bool:
    return assignment.department_id in actor.department_ids or assignment.assignee_id == actor.user_id


def case_context(actor: Actor, case: Case) -> dict[str, Any]:
    """Everything the case page shows, and which forms the actor gets in the current state."""
    now = timezone.now()
    adm = actor.administration
    assignments = list(case.assignments.all())
    active = [a for a in assignments if a.is_active]
    lead = active[-1] if active else None
    drafts = list(case.drafts.all())
    latest = drafts[-1] if drafts else None
    returned = next((d for d in reversed(drafts) if d.status == Draft.Status.RETURNED), None)
    approved = next((d for d in reversed(drafts) if d.status == Draft.Status.APPROVED), None)
    under_review = next((d for d in reversed(drafts) if d.status == Draft.Status.REVIEW), None)
    publication = web_selectors.publication_for(approved or latest)
    my_assignments = [a for a in active if _mine(a, actor)] if actor.is_executor else []
    i_lead = lead is not None and lead in my_assignments
    state = State(case.state)
    stages = list(case.stages.all())
    cal = adm.calendar
    for stage in stages:
        stage.countdown = clock.stage_countdown(stage, calendar=cal, now=now)  # type: ignore[attr-defined]
        stage.level = (  # type: ignore[attr-defined]
            stage.countdown.level  # type: ignore[attr-defined]
            if stage.status == "open"
            else ("done" if stage.on_time is not False else "late")
        )
    open_stages = sorted((s for s in stages if s.status == "open"), key=lambda s: (s.due_at, s.pk))
    next_countdown = clock.stage_countdown(open_stages[0], calendar=cal, now=now) if open_stages else None
    next_level = next_countdown.level if next_countdown else web_selectors.NONE
    net = network_info(case.network)
    draft_initial: dict[str, Any] = {}
    if returned is not None:
        draft_initial = {"text": returned.text, "measures_taken": returned.measures_taken}
    loose_attachments = [a for a in Attachment.objects.filter(case=case, draft__isnull=True).order_by("uploaded_at")]
    ctx: dict[str, Any] = {
        "case": case,
        "now": now,
        "assignments": assignments,
        "active_assignments": active,
        "lead": lead,
        "contributions": [a for a in assignments if a.contribution],
        "drafts": drafts,
        "returned_draft": returned,
        "approved_draft": approved,
        "draft_under_review": under_review,
        "publication": publication,
        "stages": stages,
        "events": list(case.events.all()),
        "case_messages": list(case.messages.all()),
        "next_level": next_level,
        "next_countdown": next_countdown,
        "network": net,
        "network_style": NETWORK_STYLES.get(case.network, "generic"),
        "loose_attachments": loose_attachments,
        "my_assignments": my_assignments,
        "i_lead": i_lead,
        "is_curator": actor.is_curator,
        "comment_form": forms.CommentForm(),
        "upload_form": forms.UploadForm(),
        "nav": "case",
    }
    # Curator: triage (П.8) in any working state; routing and П.19 while in triage; review (П.12).
    if actor.is_curator and case.is_open:
        ctx["triage_form"] = forms.TriageFieldsForm(
            administration=adm,
            initial={
                "topics": [t.pk for t in case.topics.all()],
                "place": case.place_id,
                "importance": case.importance,
                "significant": case.significant,
                "shortened_deadline": timezone.localtime(case.shortened_deadline) if case.shortened_deadline else None,
            },
        )
        if state is State.TRIAGE:
            ctx["departments"] = list(Department.objects.filter(administration=adm, is_active=True))
            ctx["refuse_form"] = forms.RefuseForm()
        if state is State.REVIEW and under_review is not None:
            ctx["review_return_form"] = forms.ReviewReturnForm(initial={"draft_id": under_review.pk})
    # Executors of an assigned department.
    ctx["can_accept"] = [
        a for a in my_assignments if a.status == Assignment.Status.RECEIVED and state in (State.ROUTED, State.IN_WORK)
    ]
    ctx["can_return"] = [
        a
        for a in my_assignments
        if state in (State.ROUTED, State.IN_WORK) and not any(d.department_id == a.department_id for d in drafts)
    ]
    ctx["can_contribute"] = [
        a
        for a in my_assignments
        if not a.is_lead
        and a.status in (Assignment.Status.RECEIVED, Assignment.Status.ACCEPTED)
        and state in (State.ROUTED, State.IN_WORK, State.REVIEW, State.REWORK)
    ]
    if i_lead and state in (State.ROUTED, State.IN_WORK, State.INTERIM):
        ctx["draft_form"] = forms.DraftForm(initial={"kind": "answer"})
    if i_lead and state is State.REWORK and returned is not None:
        ctx["resubmit_form"] = forms.ResubmitForm(initial=draft_initial)
    if (i_lead or actor.is_curator) and state is State.APPROVED:
        ctx["publish_form"] = forms.PublishForm()
    ctx["can_upload"] = case.is_open and (actor.is_curator or bool(my_assignments))
    ctx["can_comment"] = actor.sees_everything or bool(my_assignments)
    return ctx


@actor_view()
def case_detail(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = selectors.case_detail(actor, case_id)
    return render(request, "web/case.html", case_context(actor, case))


def _case(actor: Actor, case_id: int) -> Case:
    return selectors.case_get(actor, case_id)


def _done(request: HttpRequest, case: Case, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("web:case", case_id=case.pk)


def _dept(request: HttpRequest) -> int | None:
    try:
        return int(request.POST["department_id"]) if request.POST.get("department_id") else None
    except ValueError:
        return None


# ---- curator ---------------------------------------------------------------------------------


@require_POST
@actor_view(is_curator)
def case_triage(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    form = forms.TriageFieldsForm(request.POST, administration=actor.administration)
    if not form.is_valid():
        form_errors(request, form)
        return redirect("web:case", case_id=case.pk)
    actions.case_triage(case=case, actor=actor, data=_triage_data(form))
    return _done(request, case, _("Тематика, место и важность сохранены."))


@require_POST
@actor_view(is_curator)
def case_route(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    department_ids = forms.parse_route(request.POST, actor.administration)
    actions.case_route(
        case=case,
        actor=actor,
        targets=[actions.RouteTarget(department_id=d) for d in department_ids],
        comment=request.POST.get("comment", ""),
    )
    return _done(request, case, _("Обращение направлено в подразделения."))


@require_POST
@actor_view(is_curator)
def case_refuse(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    actions.case_refuse(case=case, actor=actor, reason=request.POST.get("reason", ""))
    return _done(request, case, _("Решение записано: не подлежит обработке (п. 19)."))


def _draft_id(request: HttpRequest) -> int | None:
    try:
        return int(request.POST["draft_id"]) if request.POST.get("draft_id") else None
    except ValueError:
        return None


@require_POST
@actor_view(is_curator)
def case_approve(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    actions.case_approve(case=case, actor=actor, draft_id=_draft_id(request))
    messages.success(request, _("Проект по обращению № %(n)s согласован.") % {"n": case.number})
    if request.POST.get("next") == "review":
        return redirect("web:review")
    return redirect("web:case", case_id=case.pk)


@require_POST
@actor_view(is_curator)
def case_return_draft(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    actions.case_return_draft(
        case=case, actor=actor, comment=request.POST.get("comment", ""), draft_id=_draft_id(request)
    )
    messages.success(request, _("Проект по обращению № %(n)s возвращён на доработку.") % {"n": case.number})
    if request.POST.get("next") == "review":
        return redirect("web:review")
    return redirect("web:case", case_id=case.pk)


# ---- executors -------------------------------------------------------------------------------


@require_POST
@actor_view()
def case_accept(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    actions.case_accept(case=case, actor=actor, department_id=_dept(request))
    return _done(request, case, _("Обращение принято в работу."))


@require_POST
@actor_view()
def case_return(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    actions.case_return(case=case, actor=actor, reason=request.POST.get("reason", ""), department_id=_dept(request))
    messages.success(request, _("Обращение возвращено куратору."))
    return redirect("web:my_cases")


@require_POST
@actor_view()
def case_contribute(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    actions.case_contribute(case=case, actor=actor, text=request.POST.get("text", ""), department_id=_dept(request))
    return _done(request, case, _("Информация для общего ответа направлена."))


def _attachment_ids(request: HttpRequest) -> list[int]:
    ids = []
    for raw in request.POST.getlist("attachment_ids"):
        try:
            ids.append(int(raw))
        except ValueError:
            continue
    return ids


@require_POST
@actor_view()
def case_submit_draft(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    actions.case_submit_draft(
        case=case,
        actor=actor,
        kind=request.POST.get("kind", "answer"),
        text=request.POST.get("text", ""),
        measures_taken=request.POST.get("measures_taken", ""),
        attachment_ids=_attachment_ids(request),
    )
    return _done(request, case, _("Проект направлен куратору на согласование."))


@require_POST
@actor_view()
def case_resubmit(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    actions.case_resubmit(
        case=case,
        actor=actor,
        text=request.POST.get("text", ""),
        measures_taken=request.POST.get("measures_taken", ""),
        attachment_ids=_attachment_ids(request),
    )
    return _done(request, case, _("Доработанный проект направлен куратору."))


@require_POST
@actor_view()
def case_publish(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    form = forms.PublishForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return redirect("web:case", case_id=case.pk)
    actions.case_publish(
        case=case, actor=actor, url=form.cleaned_data["url"], external_id=form.cleaned_data.get("external_id") or ""
    )
    return _done(request, case, _("Размещение ответа записано."))


@require_POST
@actor_view()
def publication_retry(request: HttpRequest, actor: Actor, case_id: int, publication_id: int) -> HttpResponse:
    """ "Повторить размещение": enqueue the publication again (only a pending one)."""
    case = _case(actor, case_id)
    if not (actor.is_curator or any(_mine(a, actor) and a.is_lead for a in case.assignments.all() if a.is_active)):
        raise PermissionDenied(_("Повторить размещение может куратор или исполнитель подразделения."))
    pub = Publication.objects.filter(case=case, pk=publication_id).first()
    if pub is None:
        raise NotFound(_("Публикация не найдена."))
    if pub.status != Publication.Status.PENDING:
        messages.error(request, _("Повторить можно только ожидающее размещение."))
        return redirect("web:case", case_id=case.pk)
    publish_answer.delay(pub.pk)
    return _done(request, case, _("Размещение поставлено в очередь."))


@require_POST
@actor_view()
def case_upload(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    form = forms.UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        form_errors(request, form)
        return redirect("web:case", case_id=case.pk)
    attachment = actions.case_attach_file(case=case, actor=actor, upload=form.cleaned_data["file"])
    return _done(request, case, _("Файл «%(name)s» загружен.") % {"name": attachment.original_name})


@require_POST
@actor_view()
def case_comment(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    actions.case_comment(case=case, actor=actor, text=request.POST.get("text", ""))
    return _done(request, case, _("Комментарий добавлен."))


@actor_view()
def attachment_file(request: HttpRequest, actor: Actor, case_id: int, attachment_id: int) -> HttpResponseBase:
    """Serve an attachment only to those who may see the case (media is not public)."""
    from otklik.security.files import protected_file_response

    case = _case(actor, case_id)
    attachment = Attachment.objects.filter(case=case, pk=attachment_id).first()
    if attachment is None:
        raise NotFound(_("Вложение не найдено."))
    return protected_file_response(
        attachment.file.name, filename=attachment.original_name, content_type=attachment.content_type
    )
