"""The executors' part of the case page: accepting, returning, contributing to a joint answer,
drafts (autosave, templates, sending), attachments, comments, downloads and publication.

The page itself and the curator's actions are in ``cases.py``; every POST here calls the actions of
``otklik.cases.actions`` (the same as the HTTP API), which re-check rights and the workflow.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from otklik.cases import actions, answers
from otklik.cases.models import Attachment, Case, DraftAutosave, Publication
from otklik.cases.tasks import publish_answer
from otklik.core.errors import ApplicationError, NotFound, PermissionDenied
from otklik.domain.publishing import LinkError, external_id_from_url
from otklik.organization.services import Actor

from .. import forms
from .base import actor_view, form_errors
from .cases import _case, _dept, _done, _ids, _mine


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
    return _ids(request, "attachment_ids")


def _keep_typed(request: HttpRequest, actor: Actor, case: Case) -> DraftAutosave | None:
    """Store what the editor holds (``text``, ``measures_taken`` in the POST) as the person's
    unsent draft of the case, so that an upload, an error or a reload never loses it."""
    if "text" not in request.POST and "measures_taken" not in request.POST:
        return None
    saved, _created = DraftAutosave.objects.update_or_create(
        case=case,
        user_id=actor.user_id,
        defaults={
            "text": request.POST.get("text", ""),
            "measures_taken": request.POST.get("measures_taken", ""),
            "saved_at": timezone.now(),
        },
    )
    return saved


def _forget_typed(actor: Actor, case: Case) -> None:
    DraftAutosave.objects.filter(case=case, user_id=actor.user_id).delete()


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _send_draft(request: HttpRequest, actor: Actor, case: Case, send: Any, done: str) -> HttpResponse:
    """Send the editor's draft; if it is refused (too long, no measures...), the typed text is kept
    in the editor — never the previous version — and the reason is shown."""
    try:
        send()
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as exc:  # refused (too long, no measures, the state moved on): keep it
        _keep_typed(request, actor, case)
        messages.error(request, exc.message)
        return redirect("web:case", case_id=case.pk)
    _forget_typed(actor, case)
    return _done(request, case, done)


@require_POST
@actor_view()
def case_submit_draft(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    return _send_draft(
        request,
        actor,
        case,
        lambda: actions.case_submit_draft(
            case=case,
            actor=actor,
            kind=request.POST.get("kind", "answer"),
            text=request.POST.get("text", ""),
            measures_taken=request.POST.get("measures_taken", ""),
            attachment_ids=_attachment_ids(request),
        ),
        _("Проект направлен куратору на согласование."),
    )


@require_POST
@actor_view()
def case_resubmit(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    return _send_draft(
        request,
        actor,
        case,
        lambda: actions.case_resubmit(
            case=case,
            actor=actor,
            text=request.POST.get("text", ""),
            measures_taken=request.POST.get("measures_taken", ""),
            attachment_ids=_attachment_ids(request),
        ),
        _("Доработанный проект направлен куратору."),
    )


def _may_edit(actor: Actor, case: Case) -> None:
    if not actor.is_curator and not any(_mine(a, actor) for a in case.assignments.all() if a.is_active):
        raise NotFound(_("Обращение не найдено."))


@require_POST
@actor_view()
def case_autosave(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    """Keep the editor's unsent text (the page's script calls this as the person types; without
    the script the «Сохранить черновик» button does)."""
    case = _case(actor, case_id)
    _may_edit(actor, case)
    saved = _keep_typed(request, actor, case)
    if _wants_json(request):
        at = timezone.localtime(saved.saved_at).strftime("%H:%M") if saved else ""
        return JsonResponse({"saved_at": at, "message": _("Черновик сохранён в %(t)s") % {"t": at} if at else ""})
    return _done(request, case, _("Черновик сохранён: он будет в редакторе, когда вы вернётесь."))


@require_POST
@actor_view()
def case_use_template(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    """Without the script: put the chosen answer template (or an earlier answer) into the editor.
    What was typed is kept: the template goes after it."""
    case = _case(actor, case_id)
    _may_edit(actor, case)
    departments = [a.department for a in case.assignments.all() if a.is_active and _mine(a, actor)]
    chosen = request.POST.get("template_id", "")
    text = ""
    for filled in answers.templates_for(case, departments):
        if str(filled.template.pk) == chosen:
            text = filled.text
    for suggestion in answers.similar_answers(case):
        if f"d{suggestion.draft.pk}" == chosen:
            text = suggestion.draft.text
    if not text:
        messages.error(request, _("Выберите шаблон ответа."))
        _keep_typed(request, actor, case)
        return redirect("web:case", case_id=case.pk)
    typed = request.POST.get("text", "").rstrip()
    saved = _keep_typed(request, actor, case)
    if saved is not None:
        saved.text = f"{typed}\n\n{text}" if typed else text
        saved.save(update_fields=["text"])
    else:
        DraftAutosave.objects.update_or_create(
            case=case, user_id=actor.user_id, defaults={"text": text, "saved_at": timezone.now()}
        )
    return _done(request, case, _("Шаблон вставлен в текст ответа: проверьте и дополните его."))


@require_POST
@actor_view()
def case_publish(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    form = forms.PublishForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return redirect("web:case", case_id=case.pk)
    url = form.cleaned_data["url"]
    try:
        external_id = external_id_from_url(case.network, url)
    except LinkError as exc:
        messages.error(request, str(exc))
        return redirect("web:case", case_id=case.pk)
    actions.case_publish(case=case, actor=actor, url=url, external_id=external_id)
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
    _may_edit(actor, case)
    # The upload button is in the editor's form: what was typed is kept whatever the upload gives.
    _keep_typed(request, actor, case)
    form = forms.UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        if _wants_json(request):
            return JsonResponse({"errors": [str(e) for errs in form.errors.values() for e in errs]}, status=400)
        form_errors(request, form)
        return redirect("web:case", case_id=case.pk)
    try:
        attachment = actions.case_attach_file(case=case, actor=actor, upload=form.cleaned_data["file"])
    except ApplicationError as exc:
        if _wants_json(request):
            return JsonResponse({"errors": [exc.message]}, status=400)
        raise
    done = _("Файл «%(name)s» загружен.") % {"name": attachment.original_name}
    if _wants_json(request):
        return JsonResponse(
            {
                "message": done,
                "html": render_to_string(
                    "web/_attachment.html",
                    {"a": attachment, "case": case, "pick": True, "removable": True},
                    request=request,
                ),
            }
        )
    return _done(request, case, done)


@require_POST
@actor_view()
def case_remove_attachment(request: HttpRequest, actor: Actor, case_id: int, attachment_id: int) -> HttpResponse:
    case = _case(actor, case_id)
    _may_edit(actor, case)
    _keep_typed(request, actor, case)
    attachment = actions.case_remove_attachment(case=case, actor=actor, attachment_id=attachment_id)
    done = _("Файл «%(name)s» убран из ответа.") % {"name": attachment.original_name}
    if _wants_json(request):
        return JsonResponse({"message": done})
    return _done(request, case, done)


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
