"""The regulation's workflow as data: case states, actions and the allowed transitions (П.6–19).

Pure Python. ``cases/actions.py`` checks every write against ``TRANSITIONS`` before it changes a
row, so the table here is the single statement of which action may happen in which state.

States of a case (Russian names are what people see):

    triage ──route──▶ routed ──accept(lead)──▶ in_work ──submit──▶ review ──approve──▶ approved
      ▲ │                │                        ▲  ▲                │                  │
      │ └─refuse─▶ refused│                        │  └──resubmit── rework ◀──return_draft─┘(review)
      └────return(lead)───┘◀───────return(lead)────┘                                      │
                                       interim ◀──publish(interim/clarification)──────────┤
                                       closed  ◀──publish(answer)─────────────────────────┘
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    TRIAGE = "triage"
    ROUTED = "routed"
    IN_WORK = "in_work"
    REVIEW = "review"
    REWORK = "rework"
    APPROVED = "approved"
    INTERIM = "interim"
    CLOSED = "closed"
    REFUSED = "refused"


STATE_TITLES: dict[State, str] = {
    State.TRIAGE: "Разбор куратором",
    State.ROUTED: "Направлено в подразделение",
    State.IN_WORK: "В работе",
    State.REVIEW: "На согласовании",
    State.REWORK: "На доработке",
    State.APPROVED: "Согласовано, к размещению",
    State.INTERIM: "Дан промежуточный ответ",
    State.CLOSED: "Ответ размещён",
    State.REFUSED: "Не подлежит обработке (п. 19)",
}

OPEN_STATES: frozenset[State] = frozenset(set(State) - {State.CLOSED, State.REFUSED})


class Action(StrEnum):
    DETECT = "detect"  # П.6, 8: the curator marks a message as needing a response
    TRIAGE = "triage"  # П.8: topic, place, importance, shortened deadline
    ROUTE = "route"  # П.8, 16: to one department or several in order
    REFUSE = "refuse"  # П.19
    ATTACH_MESSAGE = "attach_message"  # another message about the same issue
    ACCEPT = "accept"  # the department takes the message
    RETURN = "return"  # П.9: not competent, back to the curator
    CONTRIBUTE = "contribute"  # П.16.2–3: a department's part of a joint answer
    SUBMIT_DRAFT = "submit_draft"  # П.11
    APPROVE = "approve"  # П.12
    RETURN_DRAFT = "return_draft"  # П.12: back for rework
    RESUBMIT = "resubmit"  # П.13
    PUBLISH = "publish"  # П.14
    PUBLISH_FAILED = "publish_failed"  # the network refused: the executor publishes by hand
    COMMENT = "comment"


class Role(StrEnum):
    CURATOR = "curator"
    EXECUTOR = "executor"  # of an assigned department (or its substitute)
    LEAD_EXECUTOR = "lead_executor"  # of the last department in the order (П.16.4)
    SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[State]
    target: State | None  # None: the state does not change, or the action decides (see notes)
    roles: frozenset[Role]


def _t(action: Action, sources: set[State], target: State | None, *roles: Role) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles))


_WORKING = {State.ROUTED, State.IN_WORK, State.REVIEW, State.REWORK, State.APPROVED, State.INTERIM}

TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        _t(Action.TRIAGE, {State.TRIAGE, *_WORKING}, None, Role.CURATOR),
        _t(Action.ROUTE, {State.TRIAGE}, State.ROUTED, Role.CURATOR),
        _t(Action.REFUSE, {State.TRIAGE}, State.REFUSED, Role.CURATOR),
        _t(Action.ATTACH_MESSAGE, {State.TRIAGE, *_WORKING}, None, Role.CURATOR),
        # Accepting by the lead department moves the case to work; by another, nothing changes.
        _t(Action.ACCEPT, {State.ROUTED, State.IN_WORK}, None, Role.EXECUTOR),
        # A return by the lead department sends the case back to the curator for re-routing.
        _t(Action.RETURN, {State.ROUTED, State.IN_WORK}, None, Role.EXECUTOR),
        _t(Action.CONTRIBUTE, {State.ROUTED, State.IN_WORK, State.REVIEW, State.REWORK}, None, Role.EXECUTOR),
        _t(Action.SUBMIT_DRAFT, {State.ROUTED, State.IN_WORK, State.INTERIM}, State.REVIEW, Role.LEAD_EXECUTOR),
        _t(Action.APPROVE, {State.REVIEW}, State.APPROVED, Role.CURATOR),
        _t(Action.RETURN_DRAFT, {State.REVIEW}, State.REWORK, Role.CURATOR),
        _t(Action.RESUBMIT, {State.REWORK}, State.REVIEW, Role.LEAD_EXECUTOR),
        # Publication of an interim answer or a clarification request leaves the case open (П.15).
        _t(Action.PUBLISH, {State.APPROVED}, None, Role.LEAD_EXECUTOR, Role.SYSTEM, Role.CURATOR),
        _t(Action.PUBLISH_FAILED, {State.APPROVED}, None, Role.SYSTEM),
        _t(Action.COMMENT, set(State), None, Role.CURATOR, Role.EXECUTOR, Role.LEAD_EXECUTOR),
    )
}


class DraftKind(StrEnum):
    ANSWER = "answer"
    INTERIM = "interim"
    CLARIFICATION = "clarification"


DRAFT_KIND_TITLES: dict[DraftKind, str] = {
    DraftKind.ANSWER: "Ответ",
    DraftKind.INTERIM: "Промежуточный ответ",
    DraftKind.CLARIFICATION: "Запрос (уточнение) автору",
}


def state_after_publication(kind: DraftKind) -> State:
    """A final answer closes the case; an interim answer or a clarification keeps it open (П.15)."""
    return State.CLOSED if kind is DraftKind.ANSWER else State.INTERIM


class TransitionError(Exception):
    def __init__(self, action: Action, state: State) -> None:
        super().__init__(f"{action} is not allowed in state {state}")
        self.action = action
        self.state = state


def check(action: Action, state: State) -> Transition:
    """Return the transition for ``action`` from ``state`` or raise ``TransitionError``."""
    transition = TRANSITIONS[action]
    if state not in transition.sources:
        raise TransitionError(action, state)
    return transition


class Importance(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


IMPORTANCE_TITLES: dict[Importance, str] = {
    Importance.LOW: "Низкая",
    Importance.NORMAL: "Обычная",
    Importance.HIGH: "Высокая",
    Importance.CRITICAL: "Критическая",
}


class StageKey(StrEnum):
    """Stages whose deadlines the regulation sets; values equal the regulation file's keys.

    ``return`` (П.9) is the department's competence decision: it ends when the department accepts
    the message (or contributes, or drafts) or returns it to the curator, and it is on time when
    that decision came within the limit — a department that neither accepts nor returns keeps the
    curator guessing, which is what the 30 minutes are for.
    """

    ROUTE = "route"
    RETURN = "return"
    ANSWER = "answer"
    DRAFT_LEAD = "draft_lead"
    REVIEW = "review"
    REWORK = "rework"
    PUBLISH = "publish"
    FINAL_AFTER_INTERIM = "final_after_interim"
    CONTRIBUTION = "contribution"


STAGE_TITLES: dict[StageKey, str] = {
    StageKey.ROUTE: "Направление в подразделение (п. 8)",
    StageKey.RETURN: "Решение о компетенции: принять или вернуть (п. 9)",
    StageKey.ANSWER: "Подготовка и размещение ответа (п. 10)",
    StageKey.DRAFT_LEAD: "Направление проекта куратору (п. 11)",
    StageKey.REVIEW: "Согласование куратором (п. 12)",
    StageKey.REWORK: "Доработка проекта (п. 13)",
    StageKey.PUBLISH: "Размещение ответа (п. 14)",
    StageKey.FINAL_AFTER_INTERIM: "Окончательный проект после промежуточного ответа (п. 15)",
    StageKey.CONTRIBUTION: "Информация для общего ответа (п. 16)",
}
