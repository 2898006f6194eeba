"""The HTTP API (django-ninja): the same actions and selectors as the UI.

Token auth (``Authorization: Bearer otk_...``) for integrations, session auth (with CSRF) for the
UI. OpenAPI at ``/api/openapi.json``, docs at ``/api/docs``. Every error has one body
(``ErrorOut``: detail, code, field, errors) and every operation documents the statuses it can give:
an illegal transition → 409, no right → 403 (or 404 where existence must not leak), a bad payload →
422 naming the field (malformed JSON → 400), a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` → 413,
too many requests → 429. Ids, limits and offsets are bounded in the schema, and times outside
1990–2199 are refused, so no input reaches the database that it cannot take.

Why one module of over 400 lines: it is the list of operations, each a few lines calling an action
or a selector; the error mapping and security are done once on top (and in ``security.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Path, Query, Router, Status
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyHeader

from otklik.cases import actions, selectors
from otklik.cases.models import Case
from otklik.core.errors import ApplicationError, ValidationFailed
from otklik.domain.messages import Attachment as IncomingAttachment
from otklik.domain.messages import IncomingMessage
from otklik.inbox.actions import IngestResult, Provenance, message_dismiss, message_ingest_batch, source_for
from otklik.inbox.cleaning import clean_text
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


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    from django.conf import settings

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return api.create_response(
        request,
        {"detail": f"Запрос слишком велик: не больше {limit} байт. Разделите его на части.", "code": "too_large"},
        status=413,
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    detail = "Тело запроса — не правильный JSON." if exc.status_code == 400 else str(exc)
    return api.create_response(request, {"detail": detail, "code": "bad_request"}, status=exc.status_code)


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


# -- the statuses each operation documents (one error schema for all) ---------------------------------

_ALWAYS = (401, 403, 429)  # no sign-in or token; no role here (X-Administration); over the rate
_READ = (*_ALWAYS, 422)  # a query parameter out of its bounds
_ONE = (*_READ, 404)  # one object by its id
_WRITE = (*_ONE, 400, 409, 413)  # a body: malformed JSON, a state that forbids it, too large


def _responses(ok: dict[int, Any], codes: tuple[int, ...]) -> dict[int, Any]:
    return {**ok, **{code: s.ErrorOut for code in sorted(set(codes))}}


CaseId = Path(..., ge=1, le=s.MAX_ID, description="id обращения")
MessageId = Path(..., ge=1, le=s.MAX_ID, description="id сообщения")


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


def _incoming(m: s.MessageIn) -> IncomingMessage:
    return IncomingMessage(
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


def _refused(index: int, external_id: str, reason: str) -> dict[str, Any]:
    return {"index": index, "external_id": external_id, "status": "refused", "reason": reason}


def _outcomes(source: Source, batch: list[tuple[int, s.MessageIn]], result: IngestResult) -> list[dict[str, Any]]:
    """What the ingestion did with each item of ``batch``, in its order: created, an edit of a stored
    message, a duplicate (stored before, or earlier in this request) or refused with its reason."""
    errors: dict[str, list[str]] = {}
    for external_id, reason in result.errors:
        errors.setdefault(external_id.strip(), []).append(reason)
    keys = {i: clean_text(m.external_id).strip() for i, m in batch}
    stored = dict(
        Message.objects.filter(source=source, external_id__in=list(set(keys.values()))).values_list("external_id", "pk")
    )
    fresh, edited = set(result.created), set(result.edited)
    outcomes = []
    for index, m in batch:
        key = keys[index]
        pk = stored.get(key)
        if errors.get(key):
            outcomes.append(_refused(index, m.external_id, errors[key].pop(0)))
        elif pk is None:
            outcomes.append(_refused(index, m.external_id, "сообщение не сохранено"))
        else:
            status = "created" if pk in fresh else "edited" if pk in edited else "duplicate"
            fresh.discard(pk)
            edited.discard(pk)
            outcomes.append({"index": index, "external_id": m.external_id, "status": status, "message_id": pk})
    return outcomes


@messages.post(
    "/",
    response=_responses({201: s.IngestOut}, (*_ALWAYS, 400, 413, 422)),
    summary="Принять сообщения (из внешней системы мониторинга)",
    description=(
        "Каждое сообщение пакета проверяется и сохраняется отдельно: в `items` — по одному результату на "
        "сообщение (created, edited, duplicate или refused с причиной). Неправильное сообщение не мешает "
        "остальным. С `detected_at` сообщение и обращение создаются вместе или не создаются вовсе."
    ),
)
def ingest(request: HttpRequest, payload: s.IngestIn) -> Status[dict[str, Any]]:
    actor = _actor(request)
    actor.require("curator", "responsible")
    if payload.source_id is not None:
        source = Source.objects.filter(administration=actor.administration, pk=payload.source_id).first()
        if source is None:
            raise ValidationFailed("Источник не найден.", field="source_id")
    else:
        source = source_for(actor.administration, Source.Kind.API, network="other")
    token = getattr(request, "api_token", None)
    brought = Provenance(Message.BroughtVia.API, user_id=actor.user_id, token_id=token.pk if token else None)
    now = timezone.now()
    outcomes: dict[int, dict[str, Any]] = {}
    plain: list[tuple[int, s.MessageIn]] = []
    dated: list[tuple[int, s.MessageIn]] = []
    for index, m in enumerate(payload.messages):
        if isinstance(m, s.RefusedItem):
            outcomes[index] = _refused(index, m.external_id, m.reason)
        elif m.detected_at is not None and m.detected_at > now:
            outcomes[index] = _refused(index, m.external_id, "detected_at: время выявления не может быть в будущем")
        else:
            (dated if m.detected_at is not None else plain).append((index, m))
    if plain:
        result = message_ingest_batch(source=source, items=[_incoming(m) for _, m in plain], now=now, brought=brought)
        outcomes.update({o["index"]: o for o in _outcomes(source, plain, result)})
    # Imports of past data may state when the curator detected a message: the message and its case
    # are created together or not at all (a refused detection rolls the message back).
    for index, m in dated:
        try:
            with transaction.atomic():
                result = message_ingest_batch(source=source, items=[_incoming(m)], now=now, brought=brought)
                outcome = _outcomes(source, [(index, m)], result)[0]
                if outcome["status"] == "created":
                    msg = Message.objects.get(pk=outcome["message_id"])
                    outcome["case_id"] = actions.case_detect(message=msg, actor=actor, detected_at=m.detected_at).pk
        except ApplicationError as exc:
            field = exc.field if isinstance(exc, ValidationFailed) else ""
            outcome = _refused(index, m.external_id, f"{field}: {exc.message}" if field else exc.message)
        outcomes[index] = outcome
    items = [outcomes[i] for i in range(len(payload.messages))]
    return Status(
        201,
        {
            "items": items,
            "created": [o["message_id"] for o in items if o["status"] == "created"],
            "duplicates": sum(o["status"] == "duplicate" for o in items),
            "errors": [
                {"external_id": o["external_id"], "reason": o["reason"]} for o in items if o["status"] == "refused"
            ],
            "cases": [o["case_id"] for o in items if o.get("case_id")],
        },
    )


@messages.get("/", response=_responses({200: list[s.MessageOut]}, _READ), summary="Входящие сообщения куратора")
def inbox(
    request: HttpRequest,
    status: s.MessageStatus = "new",
    limit: int = Query(100, ge=1, le=s.MAX_LIMIT),
    offset: int = Query(0, ge=0, le=s.MAX_OFFSET),
) -> Any:
    actor = _actor(request)
    return list(
        selectors.inbox_messages(actor, status=status).select_related("brought_by", "brought_by_token")[
            offset : offset + limit
        ]
    )


@messages.get("/{message_id}", response=_responses({200: s.MessageOut}, _ONE), summary="Сообщение")
def message_read(request: HttpRequest, message_id: int = MessageId) -> Any:
    return selectors.message_get(_actor(request), message_id)


@messages.post(
    "/{message_id}/detect",
    response=_responses({201: s.CaseOut}, _WRITE),
    summary="Требует реагирования: создать обращение (п. 6, 8)",
    description="С `departments` обращение сразу направляется; если направить нельзя, не создаётся и обращение.",
)
def detect(request: HttpRequest, payload: s.DetectIn, message_id: int = MessageId) -> Any:
    actor = _actor(request)
    msg = selectors.message_get(actor, message_id)
    repeat = selectors.case_get(actor, payload.repeat_of) if payload.repeat_of else None
    with transaction.atomic():  # detect + route: both or neither
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


@messages.post(
    "/{message_id}/refuse", response=_responses({201: s.CaseOut}, _WRITE), summary="Не подлежит обработке (п. 19)"
)
def refuse_message(request: HttpRequest, payload: s.ReasonIn, message_id: int = MessageId) -> Any:
    actor = _actor(request)
    msg = selectors.message_get(actor, message_id)
    case = actions.message_refuse(message=msg, actor=actor, reason=payload.reason)
    return Status(201, selectors.case_detail(actor, case.pk))


@messages.post(
    "/{message_id}/attach", response=_responses({200: s.CaseOut}, _WRITE), summary="Добавить сообщение к обращению"
)
def attach(request: HttpRequest, payload: s.AttachIn, message_id: int = MessageId) -> Any:
    actor = _actor(request)
    msg = selectors.message_get(actor, message_id)
    case = selectors.case_get(actor, payload.case_id)
    actions.case_attach_message(case=case, message=msg, actor=actor)
    return selectors.case_detail(actor, case.pk)


@messages.post(
    "/{message_id}/dismiss", response=_responses({200: s.MessageOut}, (*_ONE, 409)), summary="Не требует реагирования"
)
def dismiss(request: HttpRequest, message_id: int = MessageId) -> Any:
    actor = _actor(request)
    actor.require("curator", "responsible")
    msg = selectors.message_get(actor, message_id)
    return message_dismiss(message=msg, actor_id=actor.user_id)


# --------------------------------------------------------------------------------------------
cases = Router(tags=["Обращения"])


@cases.get("/", response=_responses({200: s.CasePage}, _READ), summary="Список обращений с фильтрами")
def case_list(request: HttpRequest, filters: Query[s.CaseFilterIn]) -> Any:
    actor = _actor(request)
    items = selectors.case_slice(
        actor, filters.to_filter(), order=filters.order, offset=filters.offset, limit=filters.limit
    )
    return {"items": items, "limit": filters.limit, "offset": filters.offset}


@cases.get(
    "/{case_id}", response=_responses({200: s.CaseOut}, _ONE), summary="Обращение: сообщения, этапы, сроки, события"
)
def case_read(request: HttpRequest, case_id: int = CaseId) -> Any:
    actor = _actor(request)
    return selectors.case_detail(actor, case_id)


_CASE = _responses({200: s.CaseOut}, _WRITE)


@cases.post("/{case_id}/triage", response=_CASE, summary="Тематика, место, важность, сокращённый срок (п. 8)")
def triage(request: HttpRequest, payload: s.TriageIn, case_id: int = CaseId) -> Any:
    return _act(request, case_id, actions.case_triage, data=payload.triage_data())


@cases.post("/{case_id}/route", response=_CASE, summary="Направить в подразделение(я) (п. 8, 16)")
def route(request: HttpRequest, payload: s.RouteIn, case_id: int = CaseId) -> Any:
    return _act(request, case_id, actions.case_route, targets=payload.route_targets(), comment=payload.comment)


@cases.post("/{case_id}/refuse", response=_CASE, summary="Не подлежит обработке (п. 19)")
def refuse(request: HttpRequest, payload: s.ReasonIn, case_id: int = CaseId) -> Any:
    return _act(request, case_id, actions.case_refuse, reason=payload.reason)


@cases.post("/{case_id}/accept", response=_CASE, summary="Принять в работу")
def accept(request: HttpRequest, payload: s.DepartmentIn | None = None, case_id: int = CaseId) -> Any:
    return _act(request, case_id, actions.case_accept, department_id=payload.department_id if payload else None)


@cases.post("/{case_id}/return", response=_CASE, summary="Вернуть куратору: не относится к компетенции (п. 9)")
def return_case(request: HttpRequest, payload: s.ReturnIn, case_id: int = CaseId) -> Any:
    return _act(request, case_id, actions.case_return, reason=payload.reason, department_id=payload.department_id)


@cases.post("/{case_id}/contribute", response=_CASE, summary="Направить информацию для общего ответа (п. 16)")
def contribute(request: HttpRequest, payload: s.ContributionIn, case_id: int = CaseId) -> Any:
    return _act(request, case_id, actions.case_contribute, text=payload.text, department_id=payload.department_id)


@cases.post(
    "/{case_id}/drafts",
    response=_responses({201: s.CaseOut}, _WRITE),
    summary="Направить проект на согласование (п. 11)",
)
def submit_draft(request: HttpRequest, payload: s.DraftIn, case_id: int = CaseId) -> Any:
    kind = payload.kind.value
    return Status(201, _act(request, case_id, actions.case_submit_draft, kind=kind, **_draft(payload)))


@cases.post("/{case_id}/resubmit", response=_CASE, summary="Направить доработанный проект (п. 13)")
def resubmit(request: HttpRequest, payload: s.ResubmitIn, case_id: int = CaseId) -> Any:
    return _act(request, case_id, actions.case_resubmit, **_draft(payload))


@cases.post("/{case_id}/approve", response=_CASE, summary="Согласовать проект (п. 12)")
def approve(request: HttpRequest, payload: s.ReviewIn | None = None, case_id: int = CaseId) -> Any:
    return _act(request, case_id, actions.case_approve, draft_id=payload.draft_id if payload else None)


@cases.post("/{case_id}/return-draft", response=_CASE, summary="Вернуть проект на доработку (п. 12)")
def return_draft(request: HttpRequest, payload: s.ReturnDraftIn, case_id: int = CaseId) -> Any:
    return _act(request, case_id, actions.case_return_draft, comment=payload.comment, draft_id=payload.draft_id)


@cases.post("/{case_id}/publish", response=_CASE, summary="Ответ размещён: ссылка и идентификатор (п. 14)")
def publish(request: HttpRequest, payload: s.PublishIn, case_id: int = CaseId) -> Any:
    return _act(request, case_id, actions.case_publish, url=payload.url, external_id=payload.external_id)


@cases.post(
    "/{case_id}/comments", response=_responses({201: s.EventOut}, _WRITE), summary="Комментарий в журнале обращения"
)
def comment(request: HttpRequest, payload: s.CommentIn, case_id: int = CaseId) -> Any:
    actor, case = _case(request, case_id)
    return Status(201, actions.case_comment(case=case, actor=actor, text=payload.text))


api.add_router("/messages", messages)
api.add_router("/cases", cases)


@api.get("/me", response=_responses({200: s.MeOut}, _ALWAYS), tags=["Пользователь"], summary="Кто я и мои роли")
def me(request: HttpRequest) -> Any:
    actor = _actor(request)
    return {
        "username": actor.user.get_username(),
        "administration": actor.administration.slug,
        "roles": sorted(actor.roles),
        "department_ids": sorted(actor.department_ids),
    }
