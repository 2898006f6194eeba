"""Request and response schemas of the HTTP API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema
from pydantic import field_validator

from otklik.cases.actions import RouteTarget, TriageData
from otklik.cases.selectors import CaseFilter
from otklik.domain.workflow import OPEN_STATES, STAGE_TITLES, STATE_TITLES, StageKey, State

_OPEN_STATES = {s.value for s in OPEN_STATES}


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


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("укажите часовой пояс (например, +09:00)")
    return value


class AttachmentIn(Schema):
    kind: str = "photo"
    url: str
    title: str = ""


class MessageIn(Schema):
    external_id: str = Field(..., min_length=1, max_length=255)
    network: str = "other"
    text: str = Field(..., min_length=1)
    url: str = ""
    author_name: str = ""
    author_id: str = ""
    author_url: str = ""
    published_at: dt.datetime | None = None
    detected_at: dt.datetime | None = Field(
        None, description="Для импорта прошлых данных: когда куратор выявил сообщение"
    )
    attachments: list[AttachmentIn] = []
    raw: dict[str, Any] | None = None

    _tz = field_validator("published_at", "detected_at")(_aware)


class IngestIn(Schema):
    source_id: int | None = None
    messages: list[MessageIn] = Field(..., min_length=1, max_length=5000)


class IngestError(Schema):
    external_id: str
    reason: str


class IngestOut(Schema):
    created: list[int]
    duplicates: int
    errors: list[IngestError]
    cases: list[int]


class MessageOut(Schema):
    id: int
    network: str
    source_id: int
    external_id: str
    url: str
    author_name: str
    author_id: str
    text: str
    attachments: list[dict[str, Any]]
    published_at: dt.datetime | None
    received_at: dt.datetime
    status: str
    case_id: int | None
    triage: dict[str, Any]
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
    def resolve_route_due_at(obj: Any, context: Any) -> dt.datetime | None:
        cd = MessageOut._route(obj, context)
        return cd.due_at if cd is not None else None

    @staticmethod
    def resolve_remaining_working_seconds(obj: Any, context: Any) -> int | None:
        return _seconds(MessageOut._route(obj, context))

    @staticmethod
    def resolve_clock_running(obj: Any, context: Any) -> bool | None:
        return _running(MessageOut._route(obj, context))


class RouteTargetIn(Schema):
    department_id: int
    executor_id: int | None = None


class TriageIn(Schema):
    topic_ids: list[int] = []
    place_id: int | None = None
    importance: str | None = None
    shortened_deadline: dt.datetime | None = None
    summary: str | None = None
    significant: bool | None = None

    _tz = field_validator("shortened_deadline")(_aware)

    def triage_data(self) -> TriageData:
        return TriageData(
            topic_ids=self.topic_ids,
            place_id=self.place_id,
            importance=self.importance,
            shortened_deadline=self.shortened_deadline,
            summary=self.summary,
            significant=self.significant,
        )


class DetectIn(TriageIn):
    detected_at: dt.datetime | None = None
    repeat_of: int | None = Field(None, description="id обращения, повтором которого является сообщение (п. 17)")
    departments: list[RouteTargetIn] = Field([], description="Сразу направить в подразделения в этом порядке")

    _tz2 = field_validator("detected_at")(_aware)

    def route_targets(self) -> list[RouteTarget]:
        return [RouteTarget(d.department_id, d.executor_id) for d in self.departments]

    def triage_data(self) -> TriageData | None:  # type: ignore[override]
        data = super().triage_data()
        return data if data != TriageData() else None


class RouteIn(Schema):
    departments: list[RouteTargetIn] = Field(..., min_length=1)
    comment: str = ""

    def route_targets(self) -> list[RouteTarget]:
        return [RouteTarget(d.department_id, d.executor_id) for d in self.departments]


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1)


class DepartmentIn(Schema):
    department_id: int | None = None


class ReturnIn(ReasonIn):
    department_id: int | None = None


class ContributionIn(Schema):
    text: str = Field(..., min_length=1)
    department_id: int | None = None


class DraftIn(Schema):
    kind: str = "answer"
    text: str = Field(..., min_length=1)
    measures_taken: str = ""
    attachment_ids: list[int] = []


class ResubmitIn(Schema):
    text: str = Field(..., min_length=1)
    measures_taken: str = ""
    attachment_ids: list[int] = []


class ReviewIn(Schema):
    draft_id: int | None = None


class ReturnDraftIn(ReviewIn):
    comment: str = Field(..., min_length=1)


class PublishIn(Schema):
    url: str = Field(..., min_length=1, max_length=1000)
    external_id: str = ""


class CommentIn(Schema):
    text: str = Field(..., min_length=1)


class AttachIn(Schema):
    case_id: int


class AssignmentOut(Schema):
    id: int
    department_id: int
    department: str
    order: int
    is_lead: bool
    status: str
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
    kind: str
    version: int
    status: str
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
    key: str
    title: str
    status: str
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
    state: str
    state_title: str
    network: str
    summary: str
    importance: str
    significant: bool
    detected_at: dt.datetime
    answer_due_at: dt.datetime | None
    next_deadline_at: dt.datetime | None
    next_stage: str
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


class CaseFilterIn(Schema):
    state: list[str] | None = None
    open: bool = False
    department: int | None = None
    topic: int | None = None
    place: int | None = None
    network: str | None = None
    importance: str | None = None
    due_before: dt.datetime | None = None
    overdue: bool = False
    detected_from: dt.datetime | None = None
    detected_to: dt.datetime | None = None
    q: str | None = None
    number: int | None = None
    order: str = "deadline"
    limit: int = 50
    offset: int = 0

    def to_filter(self) -> CaseFilter:
        from django.utils import timezone

        return CaseFilter(
            state=self.state,
            open_only=self.open,
            department_id=self.department,
            topic_id=self.topic,
            place_id=self.place,
            network=self.network,
            importance=self.importance,
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
