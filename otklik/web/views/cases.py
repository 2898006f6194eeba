"""The case page and every action on a case, for the curator, the executors and the Head.

The page shows what the actor may do in the case's state; the POST views call the actions of
``otklik.cases.actions`` (the same as the HTTP API), which re-check rights and the workflow.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from otklik.cases import actions, answers, selectors
from otklik.cases.models import Assignment, Attachment, Case, Draft, DraftAutosave, Publication
from otklik.domain.networks import media_kind, media_published_by_hand
from otklik.domain.networks import network as network_info
from otklik.domain.publishing import explain_error
from otklik.domain.textdiff import changed, word_diff
from otklik.domain.workflow import State
from otklik.organization.models import Department
from otklik.organization.services import Actor
from otklik.sla import clock

from .. import forms
from .. import selectors as web_selectors
from .base import actor_view, back, form_errors, is_curator
from .curator import _triage_data

NETWORK_STYLES = {"vk": "vk", "ok": "ok", "telegram": "telegram"}


def _mine(assignment: Assignment, actor: Actor) -> bool:
    return assignment.department_id in actor.department_ids or assignment.assignee_id == actor.user_id


def _autosave(case: Case, actor: Actor) -> DraftAutosave | None:
    return DraftAutosave.objects.filter(case=case, user_id=actor.user_id).first()


def _parts(assignments: list[Assignment], stages: list[Any], drafts: list[Draft], actor: Actor) -> list[dict[str, Any]]:
    """П.16 for a multi-department case: each department's part, its order, who writes the joint
    answer, and what each one (the lead above all) is still waiting for."""
    active = [a for a in assignments if a.is_active]
    if len(active) < 2:
        return []
    lead = next((a for a in active if a.is_lead), active[-1])
    open_contrib = {s.department_id: s for s in stages if s.key == "contribution" and s.status == "open"}
    rows = []
    for a in active:
        if a.is_lead:
            waiting = [b.department for b in active if not b.is_lead and not b.contribution and b.status != "returned"]
            if any(d.department_id == a.department_id for d in drafts):
                part = _("готовит общий ответ: проект направлен куратору")
            else:
                part = _("готовит общий ответ с учётом информации других подразделений")
        else:
            waiting = []
            part = _("информация направлена") if a.contribution else _("направляет информацию для общего ответа")
        rows.append(
            {
                "assignment": a,
                "lead": a.is_lead,
                "part": part,
                "waiting_for": waiting,
                "due": open_contrib.get(a.department_id),
                "mine": _mine(a, actor),
                "lead_department": lead.department,
            }
        )
    return rows


def _diffs(drafts: list[Draft]) -> dict[int, Any]:
    """For each version: the word diff from the version it was made from (the curator's edit) or
    from the one before it (a rework), to show what changed."""
    out: dict[int, Any] = {}
    by_pk = {d.pk: d for d in drafts}
    for i, d in enumerate(drafts):
        base = by_pk.get(d.based_on_id) if d.based_on_id else (drafts[i - 1] if i else None)
        if base is None:
            continue
        pieces = word_diff(base.text, d.text)
        if changed(pieces):
            out[d.pk] = {"base": base, "pieces": pieces, "by_curator": d.based_on_id is not None}
    return out


def _events(case: Case) -> list[Any]:
    """The timeline; a connector's error is shown in words, never as «[Errno 111] …»."""
    events = list(case.events.all())
    for e in events:
        if isinstance(e.payload, dict) and e.payload.get("error"):
            e.error_words = explain_error(str(e.payload["error"]))  # type: ignore[attr-defined]
    return events


def _live(attachments: Any) -> list[Attachment]:
    return [a for a in attachments if a.removed_at is None]


def case_context(actor: Actor, case: Case, *, compare: tuple[int, int] | None = None) -> dict[str, Any]:
    """Everything the case page shows, and which forms the actor gets in the current state."""
    now = timezone.now()
    adm = actor.administration
    assignments = list(case.assignments.all())
    active = [a for a in assignments if a.is_active]
    lead = next((a for a in active if a.is_lead), active[-1] if active else None)
    drafts = list(case.drafts.all())
    for d in drafts:
        d.live_attachments = _live(d.attachments.all())  # type: ignore[attr-defined]
        d.removed_attachments = [a for a in d.attachments.all() if a.removed_at]  # type: ignore[attr-defined]
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
    loose_attachments = sorted(
        (a for a in case.attachments.all() if a.draft_id is None and a.removed_at is None),
        key=lambda a: (a.uploaded_at, a.pk),
    )
    ctx: dict[str, Any] = {
        "case": case,
        "now": now,
        "assignments": assignments,
        "active_assignments": active,
        "lead": lead,
        "contributions": [a for a in assignments if a.contribution],
        "drafts": drafts,
        "diffs": _diffs(drafts),
        "returned_draft": returned,
        "approved_draft": approved,
        "draft_under_review": under_review,
        "publication": publication,
        "stages": stages,
        "events": _events(case),
        "case_messages": list(case.messages.all()),
        "next_level": next_level,
        "next_countdown": next_countdown,
        "network": net,
        "network_style": NETWORK_STYLES.get(case.network, "generic"),
        "loose_attachments": loose_attachments,
        "my_assignments": my_assignments,
        "i_lead": i_lead,
        "is_curator": actor.is_curator,
        "parts": _parts(assignments, stages, drafts, actor),
        "comment_form": forms.CommentForm(),
        "upload_form": forms.UploadForm(),
        "accept_types": ",".join(sorted(actions.ALLOWED_ATTACHMENT_TYPES)),
        "nav": "case",
    }
    if compare is not None:
        by_pk = {d.pk: d for d in drafts}
        left, right = by_pk.get(compare[0]), by_pk.get(compare[1])
        if left is not None and right is not None:
            ctx["compare"] = {"left": left, "right": right, "pieces": word_diff(left.text, right.text)}
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
    editing = False
    if i_lead and state in (State.ROUTED, State.IN_WORK, State.INTERIM):
        ctx["draft_form"] = forms.DraftForm(initial={"kind": "answer"})
        editing = True
    if i_lead and state is State.REWORK and returned is not None:
        ctx["resubmit_form"] = forms.ResubmitForm()
        ctx["carried_attachments"] = returned.live_attachments  # type: ignore[attr-defined]
        editing = True
    if editing:
        saved = _autosave(case, actor)
        # What was typed before the last version was sent or reviewed (by a colleague, say) is
        # older than what is on the page: the editor starts from the newer text.
        moments = [m for d in drafts for m in (d.submitted_at, d.reviewed_at) if m is not None]
        if saved is not None and moments and saved.saved_at < max(moments):
            saved = None
        if saved is not None:
            ctx["editor_text"], ctx["editor_measures"] = saved.text, saved.measures_taken
            ctx["autosaved_at"] = saved.saved_at
        elif returned is not None and state is State.REWORK:
            ctx["editor_text"], ctx["editor_measures"] = returned.text, returned.measures_taken
        else:
            ctx["editor_text"], ctx["editor_measures"] = "", ""
        my_departments = [a.department for a in my_assignments]
        ctx["answer_templates"] = answers.templates_for(case, my_departments)
        ctx["suggestions"] = answers.similar_answers(case)
    if (i_lead or actor.is_curator) and state is State.APPROVED:
        ctx["publish_form"] = forms.PublishForm()
    if publication is not None and publication.last_error:
        ctx["publication_error"] = explain_error(publication.last_error)
    shown = approved or (latest if latest is not None and latest.status == Draft.Status.PUBLISHED else None)
    if shown is not None:
        kinds = [media_kind(a.original_name, a.content_type) for a in shown.live_attachments]  # type: ignore[attr-defined]
        by_hand = set(media_published_by_hand(case.network, kinds))
        if publication is None or publication.status == Publication.Status.MANUAL:
            by_hand = set(kinds)  # nothing goes out automatically: every file is attached by hand
        ctx["attach_by_hand"] = [
            a
            for a in shown.live_attachments  # type: ignore[attr-defined]
            if media_kind(a.original_name, a.content_type) in by_hand
        ]
    ctx["can_upload"] = case.is_open and (actor.is_curator or bool(my_assignments))
    ctx["can_comment"] = actor.sees_everything or bool(my_assignments)
    return ctx


@actor_view()
def case_detail(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = selectors.case_detail(actor, case_id)
    compare = None
    try:
        compare = (int(request.GET["a"]), int(request.GET["b"])) if "a" in request.GET and "b" in request.GET else None
    except ValueError:
        compare = None
    return render(request, "web/case.html", case_context(actor, case, compare=compare))


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


def _triage_with(request: HttpRequest, actor: Actor, case: Case) -> bool | None:
    """Save the triage fields posted with another decision (routing, approval) when they differ
    from the case's; ``None`` when they are invalid (the errors are shown), else whether they
    changed. Nothing is written (no event) when nothing changed."""
    if "importance" not in request.POST:
        return False
    form = forms.TriageFieldsForm(request.POST, administration=actor.administration)
    if not form.is_valid():
        form_errors(request, form)
        return None
    data = form.cleaned_data
    deadline = data.get("shortened_deadline")
    current = case.shortened_deadline
    same = (
        {t.pk for t in data.get("topics") or []} == {t.pk for t in case.topics.all()}
        and (data["place"].pk if data.get("place") else None) == case.place_id
        and data.get("importance") == case.importance
        and bool(data.get("significant")) == case.significant
        and (deadline is None) == (current is None)
        and (deadline is None or current is None or abs((deadline - current).total_seconds()) < 60)
    )
    if same:
        return False
    actions.case_triage(case=case, actor=actor, data=_triage_data(form))
    return True


@require_POST
@actor_view(is_curator)
def case_route(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    department_ids = forms.parse_route(request.POST, actor.administration)
    if not department_ids:
        messages.error(request, _("Отметьте хотя бы одно подразделение, в которое направить обращение."))
        return redirect("web:case", case_id=case.pk)
    # One form on the page: the topic, place and importance set above the departments are saved
    # with the routing, never silently dropped.
    if _triage_with(request, actor, case) is None:
        return redirect("web:case", case_id=case.pk)
    case = _case(actor, case_id)
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
    if _triage_with(request, actor, case) is None:
        return redirect("web:case", case_id=case.pk)
    case = _case(actor, case_id)
    draft = actions.case_approve(
        case=case,
        actor=actor,
        draft_id=_draft_id(request),
        text=request.POST.get("text"),
        measures_taken=request.POST.get("measures_taken"),
        remove_attachment_ids=_ids(request, "remove_attachment_ids"),
    )
    if draft.based_on_id:
        messages.success(
            request,
            _("Проект по обращению № %(n)s согласован с вашей правкой (ред. %(v)s); исполнитель увидит изменения.")
            % {"n": case.number, "v": draft.version},
        )
    else:
        messages.success(request, _("Проект по обращению № %(n)s согласован.") % {"n": case.number})
    if request.POST.get("next") == "review":
        return redirect("web:review")
    return redirect("web:case", case_id=case.pk)


@require_POST
@actor_view(is_curator)
def case_return_draft(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    if not request.POST.get("comment", "").strip():
        messages.error(request, _("Укажите замечания к проекту: что исправить."))
        return back(request)
    if _triage_with(request, actor, case) is None:
        return redirect("web:case", case_id=case.pk)
    case = _case(actor, case_id)
    actions.case_return_draft(
        case=case,
        actor=actor,
        comment=request.POST.get("comment", ""),
        draft_id=_draft_id(request),
        remove_attachment_ids=_ids(request, "remove_attachment_ids"),
    )
    messages.success(request, _("Проект по обращению № %(n)s возвращён на доработку.") % {"n": case.number})
    if request.POST.get("next") == "review":
        return redirect("web:review")
    return redirect("web:case", case_id=case.pk)


def _ids(request: HttpRequest, name: str) -> list[int]:
    ids = []
    for raw in request.POST.getlist(name):
        try:
            ids.append(int(raw))
        except ValueError:
            continue
    return ids
