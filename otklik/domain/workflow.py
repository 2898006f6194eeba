"""The regulation's workflow as data: case states, actions and the allowed transitions (П.6–19).

Pure Python. ``TRANSITIONS`` is the single statement of which action may happen in which state, by
whom, and what it does to the stage deadlines (which stages it ends, cancels and starts) and to the
state. The case-action contract (``otklik.cases.actions.contract``) carries every row out, the same
way for every action, and refuses what the table does not allow.

States of a case (Russian names are what people see):

    triage ──route──▶ routed ──accept(lead)──▶ in_work ──submit──▶ review ──approve──▶ approved
      ▲ │                │                        ▲  ▲                │                  │
      │ └─refuse─▶ refused│                        │  └──resubmit── rework ◀──return_draft─┘(review)
      └────return(lead)───┘◀───────return(lead)────┘                                      │
                                       interim ◀──publish(interim/clarification)──────────┤
                                       closed  ◀──publish(answer)─────────────────────────┘
"""

from __future__ import annotations

from collections.abc import Iterable
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
    RECOMPUTE_DEADLINES = "recompute_deadlines"  # the working calendar changed: open deadlines follow


class Role(StrEnum):
    """Who may take an action; the case-action contract checks it (``otklik.cases.actions.contract``)."""

    CURATOR = "curator"  # the curator or the responsible official (П.7.1)
    SUPERVISOR = "supervisor"  # anyone who sees every case: the Head, the responsible official, the curator
    EXECUTOR = "executor"  # of an assigned department (or its substitute)
    LEAD_EXECUTOR = "lead_executor"  # of the last department in the order (П.16.4)
    SYSTEM = "system"  # the system itself (no person: the publication outbox)


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


ALL_STAGES: frozenset[StageKey] = frozenset(StageKey)


@dataclass(frozen=True)
class Outcome:
    """Where an action leads and what it does, on the way, to the stages it does not simply end.

    ``cancels``: every stage of these keys still open ends as cancelled (no on-time verdict).
    ``withdraws``: the stages of these keys of each assignment the action withdraws (a department
    that returned the case, or whose part is no longer wanted) end as cancelled.
    ``opens``: the stages the action may start (each opened by the action, with its links).
    """

    state: State | None  # None: the case stays in the state it was in
    opens: frozenset[StageKey] = frozenset()
    cancels: frozenset[StageKey] = frozenset()
    withdraws: frozenset[StageKey] = frozenset()


@dataclass(frozen=True)
class Transition:
    """One row of the table: from which states an action may be taken, by whom, and what it does.

    ``closes``: stages ended (on time or late) the moment the action is taken, whatever the case;
    ``closes_own``: the same, for the acting department's assignment only. ``outcomes``: one, or
    several when the action decides (e.g. a final answer closes the case, an interim one does not).
    Empty ``sources``: the action creates the case (detection).
    """

    action: Action
    sources: frozenset[State]
    roles: frozenset[Role]
    outcomes: tuple[Outcome, ...]
    closes: frozenset[StageKey] = frozenset()
    closes_own: frozenset[StageKey] = frozenset()

    @property
    def target(self) -> State | None:
        """The state the action leads to; None when the case stays where it is or the action decides."""
        return self.outcomes[0].state if len(self.outcomes) == 1 else None

    @property
    def creates(self) -> bool:
        return not self.sources

    @property
    def decides(self) -> bool:
        return len(self.outcomes) > 1

    def outcome(self, state: State | None) -> Outcome:
        """The declared outcome leading to ``state`` (None: staying); ``KeyError`` if there is none."""
        for outcome in self.outcomes:
            if outcome.state == state:
                return outcome
        raise KeyError(f"{self.action} does not lead to {state}")


def _t(
    action: Action,
    sources: set[State],
    roles: set[Role],
    *outcomes: Outcome,
    closes: Iterable[StageKey] = (),
    closes_own: Iterable[StageKey] = (),
) -> Transition:
    return Transition(action, frozenset(sources), frozenset(roles), outcomes, frozenset(closes), frozenset(closes_own))


_WORKING = {State.ROUTED, State.IN_WORK, State.REVIEW, State.REWORK, State.APPROVED, State.INTERIM}
_STAY = Outcome(None)
_DEPARTMENT_STAGES = ALL_STAGES - {StageKey.ANSWER}

TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        _t(
            Action.DETECT,
            set(),
            {Role.CURATOR},
            Outcome(State.TRIAGE, opens=frozenset({StageKey.ROUTE, StageKey.ANSWER})),
        ),
        _t(Action.TRIAGE, {State.TRIAGE, *_WORKING}, {Role.CURATOR}, _STAY),
        # Departments in the curator's order: each decides on competence (П.9); the last drafts (П.11),
        # the others send their parts (П.16). Assignments still active from before are withdrawn.
        _t(
            Action.ROUTE,
            {State.TRIAGE},
            {Role.CURATOR},
            Outcome(
                State.ROUTED,
                opens=frozenset({StageKey.RETURN, StageKey.DRAFT_LEAD, StageKey.CONTRIBUTION}),
                withdraws=ALL_STAGES,
            ),
            closes={StageKey.ROUTE},
        ),
        _t(
            Action.REFUSE,
            {State.TRIAGE},
            {Role.CURATOR},
            Outcome(State.REFUSED, cancels=ALL_STAGES),
            closes={StageKey.ROUTE},
        ),
        _t(Action.ATTACH_MESSAGE, {State.TRIAGE, *_WORKING}, {Role.CURATOR}, _STAY),
        # Accepting by the lead department moves the case to work; by another, nothing changes.
        _t(
            Action.ACCEPT,
            {State.ROUTED, State.IN_WORK},
            {Role.EXECUTOR},
            Outcome(State.IN_WORK),
            _STAY,
            closes_own={StageKey.RETURN},
        ),
        # A return by the lead department withdraws the others and sends the case back to the
        # curator for re-routing; a return by another department withdraws that department only.
        _t(
            Action.RETURN,
            {State.ROUTED, State.IN_WORK},
            {Role.EXECUTOR},
            Outcome(State.TRIAGE, opens=frozenset({StageKey.ROUTE}), withdraws=_DEPARTMENT_STAGES),
            Outcome(None, withdraws=_DEPARTMENT_STAGES),
            closes_own={StageKey.RETURN},
        ),
        _t(
            Action.CONTRIBUTE,
            {State.ROUTED, State.IN_WORK, State.REVIEW, State.REWORK},
            {Role.EXECUTOR},
            _STAY,
            closes_own={StageKey.RETURN, StageKey.CONTRIBUTION},
        ),
        _t(
            Action.SUBMIT_DRAFT,
            {State.ROUTED, State.IN_WORK, State.INTERIM},
            {Role.LEAD_EXECUTOR},
            Outcome(State.REVIEW, opens=frozenset({StageKey.REVIEW})),
            closes={StageKey.DRAFT_LEAD, StageKey.FINAL_AFTER_INTERIM},
            closes_own={StageKey.RETURN},
        ),
        _t(
            Action.APPROVE,
            {State.REVIEW},
            {Role.CURATOR},
            Outcome(State.APPROVED, opens=frozenset({StageKey.PUBLISH})),
            closes={StageKey.REVIEW},
        ),
        _t(
            Action.RETURN_DRAFT,
            {State.REVIEW},
            {Role.CURATOR},
            Outcome(State.REWORK, opens=frozenset({StageKey.REWORK})),
            closes={StageKey.REVIEW},
        ),
        _t(
            Action.RESUBMIT,
            {State.REWORK},
            {Role.LEAD_EXECUTOR},
            Outcome(State.REVIEW, opens=frozenset({StageKey.REVIEW})),
            closes={StageKey.REWORK},
        ),
        # A final answer closes the case (whatever is still open is cancelled); an interim answer or
        # a clarification request leaves it open, the final answer's draft due (П.15).
        _t(
            Action.PUBLISH,
            {State.APPROVED},
            {Role.LEAD_EXECUTOR, Role.SYSTEM, Role.CURATOR},
            Outcome(State.CLOSED, cancels=ALL_STAGES),
            Outcome(State.INTERIM, opens=frozenset({StageKey.FINAL_AFTER_INTERIM})),
            closes={StageKey.PUBLISH, StageKey.ANSWER},
        ),
        _t(Action.PUBLISH_FAILED, {State.APPROVED}, {Role.SYSTEM}, _STAY),
        _t(Action.COMMENT, set(State), {Role.SUPERVISOR, Role.EXECUTOR}, _STAY),
        # A loaded production-calendar year or a changed exception moves the open stages' deadlines
        # (the system does it; the event names who changed the calendar). No stage ends or starts.
        _t(Action.RECOMPUTE_DEADLINES, set(OPEN_STATES), {Role.SYSTEM}, _STAY),
    )
}

#: What the person tried to do, for the 409 message: «Нельзя согласовать проект: …».
ACTION_VERBS: dict[Action, str] = {
    Action.TRIAGE: "изменить тематику, место или важность",
    Action.ROUTE: "направить в подразделения",
    Action.REFUSE: "отказать в обработке (п. 19)",
    Action.ATTACH_MESSAGE: "добавить сообщение к обращению",
    Action.ACCEPT: "принять обращение в работу",
    Action.RETURN: "вернуть обращение куратору",
    Action.CONTRIBUTE: "направить информацию для общего ответа",
    Action.SUBMIT_DRAFT: "направить проект на согласование",
    Action.APPROVE: "согласовать проект",
    Action.RETURN_DRAFT: "вернуть проект на доработку",
    Action.RESUBMIT: "направить доработанный проект",
    Action.PUBLISH: "разместить ответ",
    Action.PUBLISH_FAILED: "отметить неудачное размещение",
    Action.RECOMPUTE_DEADLINES: "пересчитать сроки",
    Action.COMMENT: "добавить комментарий",
}

#: The journal's title of each event: every action, and ``breach`` (written by the deadline sweep).
ACTION_TITLES: dict[str, str] = {
    "detect": "Сообщение выявлено, обращение создано",
    "triage": "Куратор уточнил тематику, место, важность",
    "route": "Направлено в подразделения",
    "refuse": "Не подлежит обработке (п. 19)",
    "attach_message": "Добавлено сообщение",
    "accept": "Принято подразделением",
    "return": "Возвращено куратору (не относится к компетенции)",
    "contribute": "Направлена информация для общего ответа",
    "submit_draft": "Проект направлен на согласование",
    "approve": "Проект согласован",
    "return_draft": "Проект возвращён на доработку",
    "resubmit": "Доработанный проект направлен на согласование",
    "publish": "Ответ размещён",
    "publish_failed": "Автоматическое размещение не удалось",
    "comment": "Комментарий",
    "breach": "Нарушен срок этапа",
    "recompute_deadlines": "Сроки пересчитаны: изменился календарь",
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
