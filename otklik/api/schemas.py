"""Request and response schemas of the HTTP API.

Why one module of over 400 lines: it is the API's contract, read as a whole by whoever changes
an operation; the shared bounds and enums (ids, limits, times, states) are defined once on top and
used by every schema below them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)

from otklik.cases.actions import RouteTarget, TriageData
from otklik.cases.models import Assignment, Draft
from otklik.cases.selectors import CaseFilter
from otklik.core.validators import HTTP_URL_PATTERN, http_url_problem
from otklik.domain.networks import NETWORKS
from otklik.domain.workflow import OPEN_STATES, STAGE_TITLES, STATE_TITLES, DraftKind, Importance, StageKey, State
from otklik.inbox.cleaning import clean_text
from otklik.inbox.models import Message
from otklik.sla.models import Stage

_OPEN_STATES = {s.value for s in OPEN_STATES}

# -- the value types of the schema: one source for each (the domain's enums, the models' choices) ----

MAX_ID = 2**63 - 1  # a 64-bit primary key: a larger id cannot name a row (SQLite refuses to bind it)
MAX_LIMIT = 200
MAX_OFFSET = 100_000  # past this, narrow the filter (deep offsets make the database walk every row)
MAX_BATCH = 5000
# Times an administration can mean: a message of the networks' era, a deadline within a lifetime.
EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)

Id = Annotated[int, Field(ge=1, le=MAX_ID, description="Идентификатор (1 … 2⁶³−1)")]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description=f"Сколько записей вернуть (1 … {MAX_LIMIT})")]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET, description=f"Сколько записей пропустить (0 … {MAX_OFFSET})")]

if TYPE_CHECKING:
    NetworkCode = str
    MessageStatus = str
    DraftStatus = str
    AssignmentStatus = str
    StageStatus = str
else:
    NetworkCode = Literal[tuple(NETWORKS)]
    MessageStatus = Literal[tuple(Message.Status.values)]
    DraftStatus = Literal[tuple(Draft.Status.values)]
    AssignmentStatus = Literal[tuple(Assignment.Status.values)]
    StageStatus = Literal[tuple(Stage.Status.values)]
CaseOrder = Literal["deadline", "detected"]


def _in_range(value: dt.datetime) -> dt.datetime:
    """A time the database can store and a person can mean (the year 9999 minus an offset
    overflows on conversion to UTC; a naive time's zone is the server's, never the sender's)."""
    if value.tzinfo is None:
        raise ValueError("укажите часовой пояс (например, +09:00)")
    try:
        utc = value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValueError("время вне допустимого диапазона") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError(f"время вне допустимого диапазона ({EARLIEST.year}–{LATEST.year - 1} гг.)")
    return value


def _http_url(value: str) -> str:
    value = value.strip()
    problem = http_url_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _printable(value: str) -> str:
    """NUL and other control characters removed, as on every path messages take in: PostgreSQL
    refuses NUL, and none of them carries meaning in a comment, a reason or an answer."""
    return clean_text(value)


Moment = Annotated[dt.datetime, AfterValidator(_in_range)]
Text = Annotated[str, AfterValidator(_printable)]
HttpUrl = Annotated[
    str,
    Field(max_length=1000, json_schema_extra={"format": "uri", "pattern": HTTP_URL_PATTERN}),
    AfterValidator(_http_url),
]
OptionalHttpUrl = Annotated[
    str,
    Field(
        max_length=1000, description="http(s)-ссылка или пусто", json_schema_extra={"pattern": f"^$|{HTTP_URL_PATTERN}"}
    ),
    AfterValidator(lambda v: _http_url(v) if v.strip() else ""),
]


def _clock_of(context: Any, administration_id: int) -> tuple[Any, dt.datetime]:
    """The administration and "now" of this response: built once per request, shared by every row."""
    from django.utils import timezone

    from otklik.organization.models import Administration

    request = (context or {}).get("request")
    cache: dict[Any, Any] = getattr(request, "_otklik_clock", None) or {"now": timezone.now()}
    if request is not None:
        request._otklik_clock = cache  # type: ignore[attr-defined]
    adm = cache.get(administration_id)
    if adm is None:
        adm = cache[administration_id] = Administration.objects.get(pk=administration_id)
    return adm, cache["now"]


def _countdown(
    context: Any,
    administration_id: int,
    due: dt.datetime | None,
    *,
    limit: int | None = None,
    started: dt.datetime | None = None,
) -> Any:
    """The working-time selector (``otklik.sla.clock``) for one deadline of a response."""
    from otklik.sla import clock

    if due is None:
        return None
    adm, now = _clock_of(context, administration_id)
    return clock.countdown(adm.calendar, due=due, now=now, limit_seconds=limit, started=started)


def _seconds(cd: Any) -> int | None:
    return cd.remaining_seconds if cd is not None else None


def _running(cd: Any) -> bool | None:
    return cd.clock_running if cd is not None else None


_REMAINING = "Рабочее время до срока, в секундах (отрицательное — просрочено на столько рабочих секунд)"
_RUNNING = "Идёт ли сейчас отсчёт рабочего времени (нет ночью, в обед, в выходные и праздники)"


class In(Schema):
    """A request body or filter: a JSON object, nothing else (an array or a bare value is refused,
    not read as "every field left out")."""

    @model_validator(mode="wrap")
    @classmethod
    def _an_object(cls, value: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        if not isinstance(value, dict | Schema):
            raise ValueError("ожидается объект JSON")
        return handler(value)


class ErrorField(Schema):
    field: str = Field(description="Поле запроса (через точку: messages.0.url); пусто — запрос целиком")
    message: str


class ErrorOut(Schema):
    """Ошибка любого вызова API: `detail` — для человека, `code` — для программы."""

    detail: str = Field(description="Что не так, по-русски")
    code: str = Field(
        description="unauthorized, forbidden, not_found, illegal_transition, conflict, invalid, "
        "too_large, rate_limited, error"
    )
    field: str | None = Field(None, description="Поле, из-за которого отказано (422)")
    errors: list[ErrorField] | None = Field(None, description="Все ошибки проверки данных (422)")
    extra: dict[str, Any] | None = None


class AttachmentIn(In):
    kind: str = Field("photo", min_length=1, max_length=32, description="photo, video, file, link …")
    url: HttpUrl
    title: Text = Field("", max_length=1000)


class MessageIn(In):
    external_id: Text = Field(..., min_length=1, max_length=255)
    network: NetworkCode = "other"
    text: Text = Field(..., min_length=1, max_length=100_000)
    url: OptionalHttpUrl = ""
    author_name: Text = ""
    author_id: Text = Field("", max_length=128)
    author_url: OptionalHttpUrl = ""
    published_at: Moment | None = None
    detected_at: Moment | None = Field(None, description="Для импорта прошлых данных: когда куратор выявил сообщение")
    attachments: list[AttachmentIn] = Field([], max_length=100)
    raw: dict[str, Any] | None = None


class RefusedItem:
    """A message of a batch that did not pass the schema: refused alone, with its reason."""

    def __init__(self, value: Any, reason: str) -> None:
        self.external_id = str(value.get("external_id", "") if isinstance(value, dict) else "")[:255]
        self.reason = reason


def _refusal(error: ValidationError) -> str:
    parts = []
    for err in error.errors():
        where = ".".join(str(p) for p in err.get("loc", ()))
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)[:1000]


def _item_or_refusal(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError as exc:
        return RefusedItem(value, _refusal(exc))


class IngestIn(In):
    """Пакет сообщений: каждое проверяется и сохраняется отдельно (результат — в `IngestOut.items`)."""

    source_id: Id | None = None
    messages: list[Annotated[MessageIn, WrapValidator(_item_or_refusal)]] = Field(
        ...,
        min_length=1,
        max_length=MAX_BATCH,
        description="Сообщения; неправильное отклоняется отдельно (с причиной), остальные принимаются",
    )


class IngestError(Schema):
    external_id: str
    reason: str


class IngestItem(Schema):
    index: int = Field(description="Номер сообщения в запросе, с нуля")
    external_id: str
    status: Literal["created", "duplicate", "edited", "refused"]
    reason: str = Field("", description="Почему отклонено (или что сделано сверх сохранения)")
    message_id: int | None = None
    case_id: int | None = Field(None, description="Обращение, созданное по detected_at")


class IngestOut(Schema):
    items: list[IngestItem] = Field(description="По одному на каждое сообщение запроса, в том же порядке")
    created: list[int]
    duplicates: int
    errors: list[IngestError]
    cases: list[int]


class BroughtByOut(Schema):
    """Кто внёс сообщение: человек — через API (каким токеном), импортом файла или вручную."""

    channel: Literal["api", "file", "manual"]
    user_id: int | None
    username: str | None
    token_id: int | None
    token_name: str | None


class MessageOut(Schema):
    id: int
    network: NetworkCode
    source_id: int
    external_id: str
    url: str
    author_name: str
    author_id: str
    text: str
    attachments: list[dict[str, Any]]
    published_at: dt.datetime | None
    received_at: dt.datetime
    status: MessageStatus
    case_id: int | None
    triage: dict[str, Any]
    brought_by: BroughtByOut | None = Field(None, description="Кто внёс сообщение (API, импорт файла, ручной ввод)")
    route_due_at: dt.datetime | None = Field(None, description="Новое сообщение: направить до (п. 8, от получения)")
    remaining_working_seconds: int | None = Field(None, description=_REMAINING)
    clock_running: bool | None = Field(None, description=_RUNNING)

    @staticmethod
    def _route(obj: Any, context: Any) -> Any:
        if obj.status != "new":
            return None
        cached = getattr(obj, "_route_countdown", None)
        if cached is None:
            from otklik.sla import clock

            adm, now = _clock_of(context, obj.administration_id)
            cached = obj._route_countdown = clock.route_countdown(adm, received_at=obj.received_at, now=now)
        return cached

    @staticmethod
    def resolve_brought_by(obj: Any) -> dict[str, Any] | None:
        if obj.brought_by_id is None and obj.brought_by_token_id is None:
            return None
        user, token = obj.brought_by, obj.brought_by_token
        return {
            "channel": obj.brought_via or "api",
            "user_id": obj.brought_by_id,
            "username": user.get_username() if user else None,
            "token_id": obj.brought_by_token_id,
            "token_name": token.name if token else None,
        }

    @staticmethod
    def resolve_route_due_at(obj: Any, context: Any) -> dt.datetime | None:
        cd = MessageOut._route(obj, context)
        return cd.due_at if cd is not None else None

    @staticmethod
    def resolve_remaining_working_seconds(obj: Any, context: Any) -> int | None:
        return _seconds(MessageOut._route(obj, context))

    @staticmethod
    def resolve_clock_running(obj: Any, context: Any) -> bool | None:
        return _running(MessageOut._route(obj, context))


class RouteTargetIn(In):
    department_id: Id
    executor_id: Id | None = None


class TriageIn(In):
    topic_ids: list[Id] = Field([], max_length=100)
    place_id: Id | None = None
    importance: Importance | None = None
    shortened_deadline: Moment | None = None
    summary: Text | None = None
    significant: bool | None = None

    def triage_data(self) -> TriageData:
        return TriageData(
            topic_ids=self.topic_ids,
            place_id=self.place_id,
            importance=self.importance.value if self.importance else None,
            shortened_deadline=self.shortened_deadline,
            summary=self.summary,
            significant=self.significant,
        )


class DetectIn(TriageIn):
    detected_at: Moment | None = None
    repeat_of: Id | None = Field(None, description="id обращения, повтором которого является сообщение (п. 17)")
    departments: list[RouteTargetIn] = Field(
        [], max_length=50, description="Сразу направить в подразделения в этом порядке (вместе с выявлением или никак)"
    )

    def route_targets(self) -> list[RouteTarget]:
        return [RouteTarget(d.department_id, d.executor_id) for d in self.departments]

    def triage_data(self) -> TriageData | None:  # type: ignore[override]
        data = super().triage_data()
        return data if data != TriageData() else None


class RouteIn(In):
    departments: list[RouteTargetIn] = Field(..., min_length=1, max_length=50)
    comment: Text = ""

    def route_targets(self) -> list[RouteTarget]:
        return [RouteTarget(d.department_id, d.executor_id) for d in self.departments]


class ReasonIn(In):
    reason: Text = Field(..., min_length=1)


class DepartmentIn(In):
    department_id: Id | None = None


class ReturnIn(ReasonIn):
    department_id: Id | None = None


class ContributionIn(In):
    text: Text = Field(..., min_length=1)
    department_id: Id | None = None


class DraftIn(In):
    kind: DraftKind = DraftKind.ANSWER
    text: Text = Field(..., min_length=1)
    measures_taken: Text = ""
    attachment_ids: list[Id] = Field([], max_length=100)


class ResubmitIn(In):
    text: Text = Field(..., min_length=1)
    measures_taken: Text = ""
    attachment_ids: list[Id] = Field([], max_length=100)


class ReviewIn(In):
    draft_id: Id | None = None


class ReturnDraftIn(ReviewIn):
    comment: Text = Field(..., min_length=1)


class PublishIn(In):
    url: HttpUrl
    external_id: Text = Field("", max_length=255)


class CommentIn(In):
    text: Text = Field(..., min_length=1)


class AttachIn(In):
    case_id: Id


class AssignmentOut(Schema):
    id: int
    department_id: int
    department: str
    order: int
    is_lead: bool
    status: AssignmentStatus
    assignee_id: int | None
    received_at: dt.datetime
    accepted_at: dt.datetime | None
    returned_at: dt.datetime | None
    return_reason: str
    contribution: str
    contributed_at: dt.datetime | None

    @staticmethod
    def resolve_department(obj: Any) -> str:
        return str(obj.department)


class DraftOut(Schema):
    id: int
    kind: DraftKind
    version: int
    status: DraftStatus
    text: str
    measures_taken: str
    department_id: int
    author_id: int
    submitted_at: dt.datetime
    reviewed_at: dt.datetime | None
    review_comment: str
    published_at: dt.datetime | None
    published_url: str
    published_external_id: str


class StageOut(Schema):
    id: int
    key: StageKey
    title: str
    status: StageStatus
    department_id: int | None
    assignment_id: int | None
    started_at: dt.datetime
    due_at: dt.datetime
    ended_at: dt.datetime | None
    limit_seconds: int | None
    elapsed_seconds: int | None
    on_time: bool | None
    breached_at: dt.datetime | None
    remaining_working_seconds: int | None = Field(None, description=_REMAINING + "; только у идущего этапа")
    clock_running: bool | None = Field(None, description=_RUNNING + "; только у идущего этапа")

    @staticmethod
    def resolve_title(obj: Any) -> str:
        return STAGE_TITLES[StageKey(obj.key)]

    @staticmethod
    def _countdown(obj: Any, context: Any) -> Any:
        if obj.status != "open":
            return None
        cached = getattr(obj, "_countdown", None)
        if cached is None:
            cached = obj._countdown = _countdown(
                context, obj.case.administration_id, obj.due_at, limit=obj.limit_seconds, started=obj.started_at
            )
        return cached

    @staticmethod
    def resolve_remaining_working_seconds(obj: Any, context: Any) -> int | None:
        return _seconds(StageOut._countdown(obj, context))

    @staticmethod
    def resolve_clock_running(obj: Any, context: Any) -> bool | None:
        return _running(StageOut._countdown(obj, context))


class EventOut(Schema):
    id: int
    at: dt.datetime
    actor_id: int | None
    action: str
    from_state: str
    to_state: str
    payload: dict[str, Any]


class CaseListItem(Schema):
    id: int
    number: int
    state: State
    state_title: str
    network: NetworkCode
    summary: str
    importance: Importance
    significant: bool
    detected_at: dt.datetime
    answer_due_at: dt.datetime | None
    next_deadline_at: dt.datetime | None
    next_stage: StageKey | Literal[""]
    remaining_working_seconds: int | None = Field(None, description=_REMAINING + " (ближайший срок)")
    clock_running: bool | None = Field(None, description=_RUNNING)
    place: str | None
    topics: list[str]

    @staticmethod
    def resolve_state_title(obj: Any) -> str:
        return STATE_TITLES[State(obj.state)]

    @staticmethod
    def _countdown(obj: Any, context: Any) -> Any:
        if obj.state not in _OPEN_STATES or obj.next_deadline_at is None:
            return None
        cached = getattr(obj, "_next_countdown", None)
        if cached is None:
            cached = obj._next_countdown = _countdown(context, obj.administration_id, obj.next_deadline_at)
        return cached

    @staticmethod
    def resolve_remaining_working_seconds(obj: Any, context: Any) -> int | None:
        return _seconds(CaseListItem._countdown(obj, context))

    @staticmethod
    def resolve_clock_running(obj: Any, context: Any) -> bool | None:
        return _running(CaseListItem._countdown(obj, context))

    @staticmethod
    def resolve_place(obj: Any) -> str | None:
        return str(obj.place) if obj.place_id else None

    @staticmethod
    def resolve_topics(obj: Any) -> list[str]:
        return [t.name for t in obj.topics.all()]


class CaseOut(CaseListItem):
    shortened_deadline: dt.datetime | None
    repeat_of_id: int | None
    refusal_reason: str
    closed_at: dt.datetime | None
    messages: list[MessageOut]
    assignments: list[AssignmentOut]
    drafts: list[DraftOut]
    stages: list[StageOut]
    events: list[EventOut]

    @staticmethod
    def resolve_messages(obj: Any) -> list[Any]:
        return list(obj.messages.all())

    @staticmethod
    def resolve_assignments(obj: Any) -> list[Any]:
        return list(obj.assignments.all())

    @staticmethod
    def resolve_drafts(obj: Any) -> list[Any]:
        return list(obj.drafts.all())

    @staticmethod
    def resolve_stages(obj: Any) -> list[Any]:
        return list(obj.stages.all())

    @staticmethod
    def resolve_events(obj: Any) -> list[Any]:
        return list(obj.events.all())


class CasePage(Schema):
    items: list[CaseListItem]
    limit: int
    offset: int


class CaseFilterIn(In):
    state: list[State] | None = None
    open: bool = False
    department: Id | None = None
    topic: Id | None = None
    place: Id | None = None
    network: NetworkCode | None = None
    importance: Importance | None = None
    due_before: Moment | None = None
    overdue: bool = False
    detected_from: Moment | None = None
    detected_to: Moment | None = None
    q: Text | None = Field(None, max_length=500)
    number: Id | None = None
    order: CaseOrder = "deadline"
    limit: Limit = 50
    offset: Offset = 0

    def to_filter(self) -> CaseFilter:
        from django.utils import timezone

        return CaseFilter(
            state=[s.value for s in self.state] if self.state else None,
            open_only=self.open,
            department_id=self.department,
            topic_id=self.topic,
            place_id=self.place,
            network=self.network,
            importance=self.importance.value if self.importance else None,
            due_before=self.due_before,
            overdue_at=timezone.now() if self.overdue else None,
            detected_from=self.detected_from,
            detected_to=self.detected_to,
            text=self.q,
            number=self.number,
        )


class MeOut(Schema):
    username: str
    administration: str
    roles: list[str]
    department_ids: list[int]
