"""The HTTP API (django-ninja): the same actions and selectors as the UI.

Token auth (``Authorization: Bearer otk_...``) for integrations, session auth (with CSRF) for the
UI. OpenAPI at ``/api/openapi.json``, docs at ``/api/docs``. Errors: an illegal transition → 409,
no right → 403 (or 404 where existence must not leak), a bad payload → 422 naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query, Router, Status
from ninja.errors import AuthenticationError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyHeader

from otklik.cases import actions, selectors
from otklik.cases.models import Case
from otklik.core.errors import ApplicationError, ValidationFailed
from otklik.domain.messages import Attachment as IncomingAttachment
from otklik.domain.messages import IncomingMessage
from otklik.inbox.actions import message_dismiss, message_ingest_batch, source_for
from otklik.inbox.models import Message, Source
from otklik.organization.services import Actor, actor_for

from . import schemas as s
from .security import ApiRateThrottle, TokenAuth, VerifiedSessionAuth


class AdministrationHeader(APIKeyHeader):
    """Not an auth method: documents the optional ``X-Administration`` header."""

    param_name = "X-Administration"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return None


api = NinjaAPI(
    title="Отклик API",
    version="1.0",
    description="Сообщения из открытых источников: приём, маршрутизация, ответы, сроки (Положение № 352).",
    auth=[TokenAuth(), VerifiedSessionAuth()],
    throttle=[ApiRateThrottle()],
    urls_namespace="api",
)


@api.exception_handler(ApplicationError)
def _application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
    if isinstance(exc, ValidationFailed) and exc.field:
        body["field"] = exc.field
    if exc.extra:
        body["extra"] = exc.extra
    return api.create_response(request, body, status=exc.status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
        errors.append({"field": ".".join(loc), "message": err.get("msg", "")})
    first = errors[0]["field"] if errors else ""
    return api.create_response(
        request,
        {"detail": f"Некорректные данные: {first or 'запрос'}", "code": "invalid", "field": first, "errors": errors},
        status=422,
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = getattr(request, "otklik_auth_detail", None) or "Требуется вход в систему или токен API."
    return api.create_response(request, {"detail": detail, "code": "unauthorized"}, status=401)


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "Слишком много запросов: повторите позже.", "code": "rate_limited"}, status=429
    )
    if exc.wait is not None:
        response["Retry-After"] = str(math.ceil(exc.wait))
    return response


def _actor(request: HttpRequest) -> Actor:
    return actor_for(request.user, request.headers.get("X-Administration") or None)  # type: ignore[arg-type]


def _case(request: HttpRequest, case_id: int) -> tuple[Actor, Case]:
    actor = _actor(request)
    return actor, selectors.case_get(actor, case_id)


def _act(request: HttpRequest, case_id: int, action: Callable[..., object], **arguments: Any) -> Any:
    """An operation on a case: the action (its errors become responses above), then the case as
    the actor now sees it."""
    actor, case = _case(request, case_id)
    action(case=case, actor=actor, **arguments)
    return selectors.case_detail(actor, case_id)


def _draft(payload: s.DraftIn | s.ResubmitIn) -> dict[str, Any]:
    return {"text": payload.text, "measures_taken": payload.measures_taken, "attachment_ids": payload.attachment_ids}


# --------------------------------------------------------------------------------------------
messages = Router(tags=["Сообщения"])


@messages.post("/", response={201: s.IngestOut}, summary="Принять сообщения (из внешней системы мониторинга)")
def ingest(request: HttpRequest, payload: s.IngestIn) -> Status[dict[str, Any]]:
    actor = _actor(request)
    actor.require("curator", "responsible")
    if payload.source_id is not None:
        source = Source.objects.filter(administration=actor.administration, pk=payload.source_id).first()
        if source is None:
            raise ValidationFailed("Источник не найден.", field="source_id")
    else:
        source = source_for(actor.administration, Source.Kind.API, network="other")
    items = [
        IncomingMessage(
            network=m.network,
            external_id=m.external_id,
            text=m.text,
            url=m.url,
            author_name=m.author_name,
            author_id=m.author_id,
            author_url=m.author_url,
            published_at=m.published_at,
            attachments=tuple(IncomingAttachment(kind=a.kind, url=a.url, title=a.title) for a in m.attachments),
            raw=m.raw or {},
        )
        for m in payload.messages
    ]
    result = message_ingest_batch(source=source, items=items)
    created_ids = list(result.created)
    # Imports of past data may state when the curator detected a message: create the case then.
    detected = {m.external_id: m for m in payload.messages if m.detected_at is not None}
    cases: list[int] = []
    if detected:
        for msg in Message.objects.filter(pk__in=created_ids, external_id__in=list(detected)):
            case = actions.case_detect(message=msg, actor=actor, detected_at=detected[msg.external_id].detected_at)
            cases.append(case.pk)
    return Status(
        201,
        {
            "created": created_ids,
            "duplicates": result.duplicates,
            "errors": [{"external_id": e, "reason": r} for e, r in result.errors],
            "cases": cases,
        },
    )


@messages.get("/", response=list[s.MessageOut], summary="Входящие сообщения куратора")
def inbox(request: HttpRequest, status: str = "new", limit: int = 100, offset: int = 0) -> Any:
    actor = _actor(request)
    limit = max(1, min(limit, 500))
    return list(selectors.inbox_messages(actor, status=status)[offset : offset + limit])


@messages.get("/{message_id}", response=s.MessageOut, summary="Сообщение")
def message_read(request: HttpRequest, message_id: int) -> Any:
    return selectors.message_get(_actor(request), message_id)


@messages.post(
    "/{message_id}/detect", response={201: s.CaseOut}, summary="Требует реагирования: создать обращение (п. 6, 8)"
)
def detect(request: HttpRequest, message_id: int, payload: s.DetectIn) -> Any:
    actor = _actor(request)
    msg = selectors.message_get(actor, message_id)
    repeat = selectors.case_get(actor, payload.repeat_of) if payload.repeat_of else None
    case = actions.case_detect(
        message=msg,
        actor=actor,
        detected_at=payload.detected_at,
        triage=payload.triage_data(),
        repeat_of=repeat,
    )
    if payload.departments:
        case = actions.case_route(case=case, actor=actor, targets=payload.route_targets())
    return Status(201, selectors.case_detail(actor, case.pk))


@messages.post("/{message_id}/refuse", response={201: s.CaseOut}, summary="Не подлежит обработке (п. 19)")
def refuse_message(request: HttpRequest, message_id: int, payload: s.ReasonIn) -> Any:
    actor = _actor(request)
    msg = selectors.message_get(actor, message_id)
    case = actions.message_refuse(message=msg, actor=actor, reason=payload.reason)
    return Status(201, selectors.case_detail(actor, case.pk))


@messages.post("/{message_id}/attach", response=s.CaseOut, summary="Добавить сообщение к обращению")
def attach(request: HttpRequest, message_id: int, payload: s.AttachIn) -> Any:
    actor = _actor(request)
    msg = selectors.message_get(actor, message_id)
    case = selectors.case_get(actor, payload.case_id)
    actions.case_attach_message(case=case, message=msg, actor=actor)
    return selectors.case_detail(actor, case.pk)


@messages.post("/{message_id}/dismiss", response=s.MessageOut, summary="Не требует реагирования")
def dismiss(request: HttpRequest, message_id: int) -> Any:
    actor = _actor(request)
    actor.require("curator", "responsible")
    msg = selectors.message_get(actor, message_id)
    return message_dismiss(message=msg, actor_id=actor.user_id)


# --------------------------------------------------------------------------------------------
cases = Router(tags=["Обращения"])


@cases.get("/", response=s.CasePage, summary="Список обращений с фильтрами")
def case_list(request: HttpRequest, filters: Query[s.CaseFilterIn]) -> Any:
    actor = _actor(request)
    qs = selectors.case_list(actor, filters.to_filter(), order=filters.order)
    limit = max(1, min(filters.limit, 500))
    items = list(qs[filters.offset : filters.offset + limit])
    return {"items": items, "limit": limit, "offset": filters.offset}


@cases.get("/{case_id}", response=s.CaseOut, summary="Обращение: сообщения, этапы, сроки, события")
def case_read(request: HttpRequest, case_id: int) -> Any:
    actor = _actor(request)
    return selectors.case_detail(actor, case_id)


@cases.post("/{case_id}/triage", response=s.CaseOut, summary="Тематика, место, важность, сокращённый срок (п. 8)")
def triage(request: HttpRequest, case_id: int, payload: s.TriageIn) -> Any:
    return _act(request, case_id, actions.case_triage, data=payload.triage_data())


@cases.post("/{case_id}/route", response=s.CaseOut, summary="Направить в подразделение(я) (п. 8, 16)")
def route(request: HttpRequest, case_id: int, payload: s.RouteIn) -> Any:
    return _act(request, case_id, actions.case_route, targets=payload.route_targets(), comment=payload.comment)


@cases.post("/{case_id}/refuse", response=s.CaseOut, summary="Не подлежит обработке (п. 19)")
def refuse(request: HttpRequest, case_id: int, payload: s.ReasonIn) -> Any:
    return _act(request, case_id, actions.case_refuse, reason=payload.reason)


@cases.post("/{case_id}/accept", response=s.CaseOut, summary="Принять в работу")
def accept(request: HttpRequest, case_id: int, payload: s.DepartmentIn | None = None) -> Any:
    return _act(request, case_id, actions.case_accept, department_id=payload.department_id if payload else None)


@cases.post("/{case_id}/return", response=s.CaseOut, summary="Вернуть куратору: не относится к компетенции (п. 9)")
def return_case(request: HttpRequest, case_id: int, payload: s.ReturnIn) -> Any:
    return _act(request, case_id, actions.case_return, reason=payload.reason, department_id=payload.department_id)


@cases.post("/{case_id}/contribute", response=s.CaseOut, summary="Направить информацию для общего ответа (п. 16)")
def contribute(request: HttpRequest, case_id: int, payload: s.ContributionIn) -> Any:
    return _act(request, case_id, actions.case_contribute, text=payload.text, department_id=payload.department_id)


@cases.post("/{case_id}/drafts", response={201: s.CaseOut}, summary="Направить проект на согласование (п. 11)")
def submit_draft(request: HttpRequest, case_id: int, payload: s.DraftIn) -> Any:
    return Status(201, _act(request, case_id, actions.case_submit_draft, kind=payload.kind, **_draft(payload)))


@cases.post("/{case_id}/resubmit", response=s.CaseOut, summary="Направить доработанный проект (п. 13)")
def resubmit(request: HttpRequest, case_id: int, payload: s.ResubmitIn) -> Any:
    return _act(request, case_id, actions.case_resubmit, **_draft(payload))


@cases.post("/{case_id}/approve", response=s.CaseOut, summary="Согласовать проект (п. 12)")
def approve(request: HttpRequest, case_id: int, payload: s.ReviewIn | None = None) -> Any:
    return _act(request, case_id, actions.case_approve, draft_id=payload.draft_id if payload else None)


@cases.post("/{case_id}/return-draft", response=s.CaseOut, summary="Вернуть проект на доработку (п. 12)")
def return_draft(request: HttpRequest, case_id: int, payload: s.ReturnDraftIn) -> Any:
    return _act(request, case_id, actions.case_return_draft, comment=payload.comment, draft_id=payload.draft_id)


@cases.post("/{case_id}/publish", response=s.CaseOut, summary="Ответ размещён: ссылка и идентификатор (п. 14)")
def publish(request: HttpRequest, case_id: int, payload: s.PublishIn) -> Any:
    return _act(request, case_id, actions.case_publish, url=payload.url, external_id=payload.external_id)


@cases.post("/{case_id}/comments", response={201: s.EventOut}, summary="Комментарий в журнале обращения")
def comment(request: HttpRequest, case_id: int, payload: s.CommentIn) -> Any:
    actor, case = _case(request, case_id)
    return Status(201, actions.case_comment(case=case, actor=actor, text=payload.text))


api.add_router("/messages", messages)
api.add_router("/cases", cases)


@api.get("/me", response=s.MeOut, tags=["Пользователь"], summary="Кто я и мои роли")
def me(request: HttpRequest) -> Any:
    actor = _actor(request)
    return {
        "username": actor.user.get_username(),
        "administration": actor.administration.slug,
        "roles": sorted(actor.roles),
        "department_ids": sorted(actor.department_ids),
    }
