"""The case-action contract, carried out once for every action (П.20).

An action writes only what is its own; this module does the rest, the same way every time::

    with transition(Action.APPROVE, case=case, actor=actor, now=now) as t:
        draft = ...  # t.case is the case, locked; the actor may do this in its state
        t.open(StageKey.PUBLISH, draft=draft)
        t.payload = {"draft_id": draft.pk}

``transition()`` opens ``transaction.atomic()``, locks the case row, and checks, in this order:
the administration (404: another administration's case does not exist for the actor), a curator's
right for an action only the curator takes (403), the workflow table (409, «Нельзя …: обращение
№ N в состоянии «…».»), then an executor's assignment (403 or 404), which it hands to the action
as ``t.assignment``. It then ends the stages the table says the action ``closes`` (and
``closes_own``, those of ``t.assignment``). When the action's block finishes it cancels what its
outcome ``cancels`` and ``withdraws``, checks that the action opened only stages its outcome
``opens``, sets the state, writes the ``CaseEvent`` (who, when, from/to state, ``t.payload``),
recomputes the case's derived fields (``refresh_derived``), and leaves the side effects to
``transaction.on_commit``. An exception anywhere rolls all of it back.

Whatever the action, a change of the case's audited fields (``AUDITED_FIELDS``: summary, topics,
place, importance, significance, a shortened deadline) is written into the event's payload as
``changes`` — each field's value before and after — and such a change always has an event, even
from an action that said ``no_event()``: no view, task or import can change them unrecorded.

Everything an action may do to the contract is declared in ``otklik.domain.workflow.TRANSITIONS``;
doing something else (opening an undeclared stage, choosing an undeclared state) is a
``ContractError``, a bug, never a user's error.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.utils import timezone

from otklik.core.errors import IllegalTransition, NotFound, PermissionDenied
from otklik.domain.calendar import WorkingCalendar
from otklik.domain.regulation import Regulation
from otklik.domain.workflow import (
    ACTION_VERBS,
    STATE_TITLES,
    TRANSITIONS,
    Action,
    Outcome,
    Role,
    StageKey,
    State,
    Transition,
    TransitionError,
    check,
)
from otklik.organization.services import Actor
from otklik.sla import services as sla
from otklik.sla.models import Stage

from ..listfields import ANSWER_FIELDS, LIST_FIELDS, case_list_fields
from ..models import Assignment, Case, CaseEvent, Draft
from .assignments import actor_assignment, lead_assignment, lead_executor_assignment

log = logging.getLogger(__name__)


class ContractError(RuntimeError):
    """An action did what its row of the workflow table does not declare: a bug in the action."""


def resolve_now(now: dt.datetime | None) -> dt.datetime:
    value = now or timezone.now()
    if timezone.is_naive(value):
        raise ValueError("now must be timezone-aware")
    return value


def lock_case(case: Case) -> Case:
    """Lock the case row for the rest of the transaction and return it fresh from the database.

    Only the case row (``of=("self",)``): without it PostgreSQL would also lock the joined
    administration row, and every action of the administration would wait for every other.
    """
    return Case.objects.select_for_update(of=("self",)).select_related("administration").get(pk=case.pk)


def same_tenant(case: Case, actor: Actor) -> None:
    if case.administration_id != actor.administration.pk:
        raise NotFound("Обращение не найдено.")


def refresh_derived(case: Case, *changed: str) -> None:
    """Recompute the case's stored fields derived from its stages, after every transition, and save
    them together with the fields the action ``changed``, in one write.

    This is the one place where the fields a list sorts or filters by are kept right: add a new
    derived field here (and to ``update_fields``), never in an action. They are the list fields of
    ``otklik.cases.listfields`` (the nearest open stage's deadline, key, start and colour
    moments), the open answer stage's deadline and department (``ANSWER_FIELDS``, the Head's
    overdue answers), and ``Assignment.case_open``.
    """
    open_stages = sla.open_stages(case.pk)  # read once for both kinds of field
    fields = case_list_fields(open_stages[0] if open_stages else None, calendar=case.administration.calendar)
    answer = next((s for s in open_stages if s.key == StageKey.ANSWER.value), None)
    fields |= open_answer_fields(case.pk, answer)
    for name, value in fields.items():
        setattr(case, name, value)
    case.save(update_fields=[*changed, *LIST_FIELDS, *ANSWER_FIELDS, "updated_at"])
    # The same, on each assignment: a department's (a person's) open cases come from its index.
    Assignment.objects.filter(case=case).exclude(case_open=case.is_open).update(case_open=case.is_open)


def open_answer_fields(case_id: int, answer: Stage | None) -> dict[str, Any]:
    """The stored fields of the case's open answer stage (П.10) ``answer``: its deadline, and the
    department it counts for — the stage's own, else the active lead assignment's (as
    ``reports.figures.with_dept`` attributes an answer stage), none before routing (the
    curator's). Both none once the answer is given (no open answer stage)."""
    if answer is None:
        return {"open_answer_due_at": None, "open_answer_department_id": None}
    department_id = answer.department_id
    if department_id is None:
        department_id = (
            Assignment.objects.filter(case_id=case_id, is_lead=True)
            .exclude(status__in=Assignment.ENDED)
            .order_by("order")
            .values_list("department_id", flat=True)
            .first()
        )
    return {"open_answer_due_at": answer.due_at, "open_answer_department_id": department_id}


#: The case fields whose every change is recorded with the values before and after (П.20).
AUDITED_FIELDS = ("summary", "topics", "place", "importance", "significant", "shortened_deadline")


def audited_values(case: Case) -> dict[str, Any]:
    """The audited fields of ``case`` as its history shows them (JSON-safe)."""
    return {
        "summary": case.summary,
        "topics": sorted(case.topics.values_list("name", flat=True)) if case.pk else [],
        "place": str(case.place) if case.place_id else None,
        "importance": case.importance,
        "significant": case.significant,
        "shortened_deadline": case.shortened_deadline.isoformat() if case.shortened_deadline else None,
    }


def audited_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: {"from": before[name], "to": after[name]} for name in AUDITED_FIELDS if before[name] != after[name]}


#: Curator decisions that the triage adapter learns from (its labels).
LABELLED_ACTIONS = frozenset({Action.DETECT, Action.TRIAGE, Action.REFUSE})


def _after_event(event_id: int) -> None:
    from otklik.notify.tasks import case_event_created

    case_event_created.delay(event_id)


def _record_label(case_id: int) -> None:
    """Record the curator's decision as a triage label at once (beat also catches up later)."""
    from otklik.triage.services import record_decision

    try:
        record_decision(Case.objects.get(pk=case_id))
    except Exception:  # a label must never undo or break the action that was committed
        log.exception("could not record the triage label of case %s", case_id)


def _illegal(action: Action, case: Case) -> IllegalTransition:
    state = State(case.state)
    return IllegalTransition(
        f"Нельзя {ACTION_VERBS.get(action, action.value)}: обращение № {case.number} в состоянии «{STATE_TITLES[state]}».",
        extra={"state": case.state, "action": action.value},
    )


class CaseTransition:
    """One action being carried out: what the action sees and what it may add to the contract.

    Read: ``case`` (locked), ``actor`` (None: the system), ``now``, ``from_state`` ("" when the
    action creates the case), ``assignment`` (the executor's assignment the action works on, or
    None; ``acting`` when there must be one), ``calendar`` and ``regulation`` of the administration;
    after the block, ``event``.
    Write: ``payload`` (the event's), ``target`` (for an action that decides where it leads),
    ``open()``, ``withdraw()``, ``save_fields()``, ``after_commit()``, ``no_event()``.
    """

    def __init__(self, spec: Transition, case: Case, actor: Actor | None, now: dt.datetime, from_state: str) -> None:
        self.spec = spec
        self.case = case
        self.actor = actor
        self.now = now
        self.from_state = from_state
        self.assignment: Assignment | None = None
        self.payload: dict[str, Any] = {}
        self.target: State | None = spec.target
        self.event: CaseEvent | None = None
        self._fields: list[str] = []
        self._opened: list[Stage] = []
        self._withdrawn: list[Assignment] = []
        self._effects: list[Callable[[], None]] = []
        self._record = True
        # What the audited fields were when the action began ({} for an action creating the case).
        self._audited: dict[str, Any] = {} if spec.creates else audited_values(case)

    @property
    def action(self) -> Action:
        return self.spec.action

    @property
    def acting(self) -> Assignment:
        """``assignment``, for an action that only an executor takes through one."""
        if self.assignment is None:
            raise ContractError(f"{self.action} has no executor's assignment to act on")
        return self.assignment

    @property
    def actor_id(self) -> int | None:
        return self.actor.user_id if self.actor else None

    @property
    def calendar(self) -> WorkingCalendar:
        return self.case.administration.calendar

    @property
    def regulation(self) -> Regulation:
        return self.case.administration.regulation

    # -- what an action may add ------------------------------------------------------------------

    def open(
        self,
        key: StageKey,
        *,
        started_at: dt.datetime | None = None,
        due_at: dt.datetime | None = None,
        assignment: Assignment | None = None,
        draft: Draft | None = None,
        department_id: int | None = None,
        responsible_id: int | None = None,
        of_lead: bool = False,
    ) -> Stage:
        """Start a stage the table lets this action open, now (or at ``started_at``).

        Its deadline is the regulation's limit, unless ``due_at`` is given. A stage of an
        ``assignment`` belongs to its department and executor unless they are given; one ``of_lead``
        (a stage of the joint answer) to the lead department and its executor (П.16.4).
        """
        if not any(key in o.opens for o in self.spec.outcomes):
            raise ContractError(f"{self.action} does not open the stage {key}")
        links: dict[str, Any] = {
            "case_id": self.case.pk,
            "administration_id": self.case.administration_id,
            "key": key,
            "started_at": started_at or self.now,
            "assignment_id": assignment.pk if assignment else None,
            "draft_id": draft.pk if draft else None,
            "department_id": department_id,
            "responsible_id": responsible_id,
        }
        owner = lead_assignment(self.case) if of_lead else assignment
        if owner is not None:
            links["department_id"] = department_id or owner.department_id
            links["responsible_id"] = responsible_id or owner.assignee_id
        if due_at is None:
            stage = sla.stage_start(calendar=self.calendar, regulation=self.regulation, **links)
        else:
            stage = sla.stage_open(due_at=due_at, **links)
        self._opened.append(stage)
        return stage

    def withdraw(self, assignment: Assignment) -> None:
        """The action withdrew this assignment (returned or cancelled): its stages the outcome
        ``withdraws`` end as cancelled."""
        self._withdrawn.append(assignment)

    def save_fields(self, *fields: str) -> None:
        """Fields of ``case`` the action changed: saved with the state, in one write."""
        self._fields.extend(f for f in fields if f not in self._fields)

    def after_commit(self, effect: Callable[[], None]) -> None:
        """A side effect (a task, a message) that runs only once the transaction has committed."""
        self._effects.append(effect)

    def no_event(self) -> None:
        """The action turned out to change nothing (e.g. a triage with no new values): no event.

        A change of an audited field still has its event (``AUDITED_FIELDS``)."""
        self._record = False

    # -- the contract ----------------------------------------------------------------------------

    def _begin(self, department_id: int | None) -> None:
        """Who may, in which state; then the stages the action ends by being taken."""
        roles, actor = self.spec.roles, self.actor
        if actor is None:
            if Role.SYSTEM not in roles:
                raise ContractError(f"{self.action} is taken by a person, not by the system")
        else:
            same_tenant(self.case, actor)
            if roles == {Role.CURATOR} and not actor.is_curator:
                raise PermissionDenied("Это действие выполняет куратор.")
        if not self.spec.creates:
            try:
                check(self.action, State(self.case.state))
            except TransitionError:
                raise _illegal(self.action, self.case) from None
        if actor is not None:
            self.assignment = self._assignment_of(actor, department_id)
        self._close(self.spec.closes)
        if self.assignment is not None:
            self._close(self.spec.closes_own, assignment=self.assignment)

    def _assignment_of(self, actor: Actor, department_id: int | None) -> Assignment | None:
        """An executor acts through an assignment of the case (403/404 without one); the curator
        and whoever sees every case, where the table lets them, through none."""
        roles = self.spec.roles
        if (Role.CURATOR in roles and actor.is_curator) or (Role.SUPERVISOR in roles and actor.sees_everything):
            return None
        if Role.EXECUTOR in roles:
            return actor_assignment(self.case, actor, department_id)
        if Role.LEAD_EXECUTOR in roles:
            return lead_executor_assignment(self.case, actor)
        return None

    def _close(self, keys: frozenset[StageKey], *, assignment: Assignment | None = None) -> None:
        if keys:
            sla.close_open(
                case_id=self.case.pk,
                keys=set(keys),
                at=self.now,
                calendar=self.calendar,
                assignment_id=assignment.pk if assignment else None,
            )

    def _cancel(self, outcome: Outcome) -> None:
        opened = {s.pk for s in self._opened}
        if outcome.cancels:
            for stage in Stage.objects.filter(
                case_id=self.case.pk, status=Stage.Status.OPEN, key__in=[k.value for k in outcome.cancels]
            ).exclude(pk__in=opened):
                sla.stage_close(stage, at=self.now, calendar=self.calendar, cancelled=True)
        if outcome.withdraws:
            for assignment in self._withdrawn:
                sla.close_open(
                    case_id=self.case.pk,
                    keys=set(outcome.withdraws),
                    at=self.now,
                    calendar=self.calendar,
                    assignment_id=assignment.pk,
                    cancelled=True,
                )

    def _finish(self) -> None:
        try:
            outcome = self.spec.outcome(self.target)
        except KeyError:
            raise ContractError(f"{self.action} may not lead to {self.target}") from None
        undeclared = {s.key for s in self._opened} - set(outcome.opens)
        if undeclared:
            raise ContractError(f"{self.action} leading to {self.target} does not open {sorted(undeclared)}")
        self._cancel(outcome)
        if outcome.state is not None and outcome.state.value != self.case.state:
            self.case.state = outcome.state.value
            self.save_fields("state")
        if self._audited:
            changes = audited_changes(self._audited, audited_values(self.case))
            if changes:
                self.payload = {**self.payload, "changes": changes}
                self._record = True
        if self._record:
            self.event = self._write_event()
        refresh_derived(self.case, *self._fields)
        for effect in self._effects:
            transaction.on_commit(effect)

    def _write_event(self) -> CaseEvent:
        event = CaseEvent.objects.create(
            case=self.case,
            actor_id=self.actor_id,
            at=self.now,
            action=self.action.value,
            from_state=self.from_state,
            to_state=self.case.state,
            payload=self.payload,
        )
        event_id = event.pk
        transaction.on_commit(lambda: _after_event(event_id))
        if self.action in LABELLED_ACTIONS:
            case_id = self.case.pk
            transaction.on_commit(lambda: _record_label(case_id))
        return event


@contextmanager
def transition(
    action: Action,
    *,
    case: Case,
    actor: Actor | None,
    now: dt.datetime | None = None,
    department_id: int | None = None,
) -> Iterator[CaseTransition]:
    """Carry out ``action`` on ``case`` under the contract; the block does the action's own part.

    ``department_id`` picks which of the executor's assignments acts, when they have several. For
    an action that creates the case (detection), ``case`` is the row just created in the current
    transaction, in the state the action leads to.
    """
    spec = TRANSITIONS[action]
    now = resolve_now(now)
    with transaction.atomic():
        if spec.creates:
            t = CaseTransition(spec, case, actor, now, from_state="")
        else:
            locked = lock_case(case)
            t = CaseTransition(spec, locked, actor, now, from_state=locked.state)
        t._begin(department_id)
        yield t
        t._finish()
