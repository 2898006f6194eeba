"""The workflow table, walked row by row: each declared transition does what ``TRANSITIONS`` says.

For every action and every outcome it declares, a scenario takes a case to a source state and
takes the action through its public function; the test then derives from the table alone what
must have happened: which open stages ended on time or late (``closes``, ``closes_own``), which
were cancelled (``cancels``, ``withdraws``), which stages were started (``opens``), the state,
one event (action, from/to state, actor) and the next deadline. And from every state the table
does not allow, each action is refused with ``IllegalTransition`` (409) and changes nothing; an
action that does what its row does not declare is a ``ContractError`` and changes nothing either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from otklik.cases import actions
from otklik.cases.actions.contract import ContractError, transition
from otklik.cases.models import Assignment, Case, CaseEvent, Publication
from otklik.core.errors import IllegalTransition
from otklik.domain.workflow import ACTION_VERBS, STATE_TITLES, TRANSITIONS, Action, StageKey, State
from otklik.inbox.actions import message_create_manual
from otklik.inbox.models import Message
from otklik.sla.models import Stage
from tests.conftest import chita

ACTIVE = (Assignment.Status.RECEIVED, Assignment.Status.ACCEPTED, Assignment.Status.CONTRIBUTED)


class World:
    """The ``org`` fixture and a clock that moves a minute with every step (a working Monday)."""

    def __init__(self, org: Any) -> None:
        self.org = org
        self.clock = chita(2026, 12, 7, 9, 0)

    def now(self) -> dt.datetime:
        self.clock += dt.timedelta(minutes=1)
        return self.clock

    def actor(self, name: str) -> Any:
        return self.org.actor(name)

    def dept(self, key: str) -> int:
        return self.org.depts[key].pk

    def message(self, network: str = "other") -> Message:
        return message_create_manual(
            administration=self.org.adm,
            actor_id=self.org.users["curator"].pk,
            network=network,
            text="Во дворе дома 5 по улице Широкой течёт труба",
            now=self.now(),
        )

    def case_in(self, state: State, *, network: str = "other", kind: str = "answer") -> Case:
        """A case brought to ``state`` through the actions: routed to roads, then zhkh (the lead)."""
        cur, zhkh = self.actor("curator"), self.actor("zhkh")
        case = actions.case_detect(message=self.message(network), actor=cur, now=self.now())
        if state is State.TRIAGE:
            return case
        if state is State.REFUSED:
            return actions.case_refuse(case=case, actor=cur, reason="Оскорбления (п. 19)", now=self.now())
        targets = [actions.RouteTarget(self.dept("roads")), actions.RouteTarget(self.dept("zhkh"))]
        case = actions.case_route(case=case, actor=cur, targets=targets, now=self.now())
        if state is State.ROUTED:
            return case
        case = actions.case_accept(case=case, actor=zhkh, now=self.now())
        if state is State.IN_WORK:
            return case
        kind = "interim" if state is State.INTERIM else kind
        actions.case_submit_draft(case=case, actor=zhkh, kind=kind, text="Проект ответа", now=self.now())
        if state is State.REVIEW:
            return self.fresh(case)
        if state is State.REWORK:
            actions.case_return_draft(case=case, actor=cur, comment="Уточните сроки", now=self.now())
            return self.fresh(case)
        actions.case_approve(case=case, actor=cur, now=self.now())
        if state is State.APPROVED:
            return self.fresh(case)
        actions.case_publish(case=case, actor=zhkh, url="https://example.org/answer", now=self.now())
        return self.fresh(case)

    @staticmethod
    def fresh(case: Case) -> Case:
        return Case.objects.get(pk=case.pk)


@dataclass(frozen=True)
class Scenario:
    action: Action
    target: State | None  # the declared outcome exercised (None: the case stays)
    start: Callable[[World], Case | Message]  # a case in a source state (a message for detection)
    take: Callable[[World, Any], Any]  # the action, through its public function
    actor: str | None  # the person recorded on the event (None: the system)
    department: str | None = None  # whose assignment the action works on (``closes_own``)
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.action.value}->{self.target.value if self.target else 'stay'}{self.label}"


def _pub(w: World, case: Case) -> Publication:
    return Publication.objects.get(case=case)


SCENARIOS = [
    Scenario(
        Action.DETECT,
        State.TRIAGE,
        lambda w: w.message(),
        lambda w, m: actions.case_detect(message=m, actor=w.actor("curator"), now=w.now()),
        "curator",
    ),
    Scenario(
        Action.TRIAGE,
        None,
        lambda w: w.case_in(State.ROUTED),
        lambda w, c: actions.case_triage(
            case=c, actor=w.actor("curator"), data=actions.TriageData(importance="high"), now=w.now()
        ),
        "curator",
    ),
    Scenario(
        Action.ROUTE,
        State.ROUTED,
        lambda w: w.case_in(State.TRIAGE),
        lambda w, c: actions.case_route(
            case=c,
            actor=w.actor("curator"),
            targets=[actions.RouteTarget(w.dept("roads")), actions.RouteTarget(w.dept("zhkh"))],
            now=w.now(),
        ),
        "curator",
    ),
    Scenario(
        Action.REFUSE,
        State.REFUSED,
        lambda w: w.case_in(State.TRIAGE),
        lambda w, c: actions.case_refuse(case=c, actor=w.actor("curator"), reason="Угрозы (п. 19)", now=w.now()),
        "curator",
    ),
    Scenario(
        Action.ATTACH_MESSAGE,
        None,
        lambda w: w.case_in(State.ROUTED),
        lambda w, c: actions.case_attach_message(case=c, message=w.message(), actor=w.actor("curator"), now=w.now()),
        "curator",
    ),
    Scenario(
        Action.ACCEPT,
        State.IN_WORK,
        lambda w: w.case_in(State.ROUTED),
        lambda w, c: actions.case_accept(case=c, actor=w.actor("zhkh"), now=w.now()),
        "zhkh",
        "zhkh",
    ),
    Scenario(
        Action.ACCEPT,
        None,
        lambda w: w.case_in(State.ROUTED),
        lambda w, c: actions.case_accept(case=c, actor=w.actor("roads"), now=w.now()),
        "roads",
        "roads",
    ),
    Scenario(
        Action.RETURN,
        State.TRIAGE,
        lambda w: w.case_in(State.ROUTED),
        lambda w, c: actions.case_return(case=c, actor=w.actor("zhkh"), reason="Не наша компетенция", now=w.now()),
        "zhkh",
        "zhkh",
    ),
    Scenario(
        Action.RETURN,
        None,
        lambda w: w.case_in(State.IN_WORK),
        lambda w, c: actions.case_return(case=c, actor=w.actor("roads"), reason="Не наша компетенция", now=w.now()),
        "roads",
        "roads",
    ),
    Scenario(
        Action.CONTRIBUTE,
        None,
        lambda w: w.case_in(State.ROUTED),
        lambda w, c: actions.case_contribute(case=c, actor=w.actor("roads"), text="Ремонт в мае", now=w.now()),
        "roads",
        "roads",
    ),
    Scenario(
        Action.SUBMIT_DRAFT,
        State.REVIEW,
        lambda w: w.case_in(State.ROUTED),
        lambda w, c: actions.case_submit_draft(case=c, actor=w.actor("zhkh"), kind="answer", text="Ответ", now=w.now()),
        "zhkh",
        "zhkh",
    ),
    Scenario(
        Action.SUBMIT_DRAFT,
        State.REVIEW,
        lambda w: w.case_in(State.INTERIM),
        lambda w, c: actions.case_submit_draft(case=c, actor=w.actor("zhkh"), kind="answer", text="Итог", now=w.now()),
        "zhkh",
        "zhkh",
        label="-after-interim",
    ),
    Scenario(
        Action.APPROVE,
        State.APPROVED,
        lambda w: w.case_in(State.REVIEW),
        lambda w, c: actions.case_approve(case=c, actor=w.actor("curator"), now=w.now()),
        "curator",
    ),
    Scenario(
        Action.RETURN_DRAFT,
        State.REWORK,
        lambda w: w.case_in(State.REVIEW),
        lambda w, c: actions.case_return_draft(case=c, actor=w.actor("curator"), comment="Точнее", now=w.now()),
        "curator",
    ),
    Scenario(
        Action.RESUBMIT,
        State.REVIEW,
        lambda w: w.case_in(State.REWORK),
        lambda w, c: actions.case_resubmit(case=c, actor=w.actor("zhkh"), text="Исправлено", now=w.now()),
        "zhkh",
        "zhkh",
    ),
    Scenario(
        Action.PUBLISH,
        State.CLOSED,
        lambda w: w.case_in(State.APPROVED),
        lambda w, c: actions.case_publish(case=c, actor=w.actor("zhkh"), url="https://example.org/1", now=w.now()),
        "zhkh",
        "zhkh",
    ),
    Scenario(
        Action.PUBLISH,
        State.INTERIM,
        lambda w: w.case_in(State.APPROVED, kind="interim"),
        lambda w, c: actions.case_publish(case=c, actor=w.actor("curator"), url="https://example.org/2", now=w.now()),
        "curator",
    ),
    Scenario(
        Action.PUBLISH_FAILED,
        None,
        lambda w: w.case_in(State.APPROVED, network="vk"),
        lambda w, c: actions.case_publication_failed(publication=_pub(w, c), error="Сеть отказала", now=w.now()),
        None,
    ),
    Scenario(
        Action.COMMENT,
        None,
        lambda w: w.case_in(State.IN_WORK),
        lambda w, c: actions.case_comment(case=c, actor=w.actor("zhkh"), text="Выезжаю", now=w.now()),
        "zhkh",
    ),
    Scenario(
        Action.RECOMPUTE_DEADLINES,
        None,
        lambda w: w.case_in(State.IN_WORK),
        lambda w, c: _recompute_after_a_day_off(w, c),
        None,
    ),
]


def _recompute_after_a_day_off(w: World, case: Case) -> Any:
    """The administration makes tomorrow a day off: the open deadlines move past it."""
    from otklik.organization.models import CalendarException

    CalendarException.objects.create(administration=w.org.adm, date=dt.date(2026, 12, 8), kind="day_off")
    return actions.case_deadlines_recompute(case=case, changed_by=w.org.users["admin"].pk, reason="test", now=w.now())


def test_every_declared_outcome_has_a_scenario() -> None:
    declared = {(a, o.state) for a, spec in TRANSITIONS.items() for o in spec.outcomes}
    assert declared == {(s.action, s.target) for s in SCENARIOS}


def _stages(case_id: int | None) -> dict[int, tuple[str, str, int | None]]:
    return {s.pk: (s.key, s.status, s.assignment_id) for s in Stage.objects.filter(case_id=case_id)}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_a_transition_does_what_the_table_declares(org, scenario: Scenario) -> None:
    w = World(org)
    spec, outcome = TRANSITIONS[scenario.action], TRANSITIONS[scenario.action].outcome(scenario.target)
    subject = scenario.start(w)
    case_id = subject.pk if isinstance(subject, Case) else None
    from_state = subject.state if isinstance(subject, Case) else ""
    before = _stages(case_id)
    assignments_before = dict(Assignment.objects.filter(case_id=case_id).values_list("pk", "status"))
    acting = (
        Assignment.objects.get(case_id=case_id, department_id=w.dept(scenario.department), status__in=ACTIVE).pk
        if scenario.department
        else None
    )
    events_before = CaseEvent.objects.filter(case_id=case_id).count() if case_id else 0

    result = scenario.take(w, subject)

    case = Case.objects.get(pk=case_id) if case_id else result
    assert isinstance(case, Case)
    after = _stages(case.pk)
    withdrawn = {
        pk
        for pk, status in Assignment.objects.filter(case=case).values_list("pk", "status")
        if assignments_before.get(pk) in ACTIVE and status in (Assignment.Status.RETURNED, Assignment.Status.CANCELLED)
    }
    was_open = {pk for pk, (_, status, _) in before.items() if status == Stage.Status.OPEN}
    ended = {
        pk
        for pk in was_open
        if before[pk][0] in spec.closes or (before[pk][0] in spec.closes_own and before[pk][2] == acting)
    }
    cancelled = {
        pk
        for pk in was_open - ended
        if before[pk][0] in outcome.cancels or (before[pk][0] in outcome.withdraws and before[pk][2] in withdrawn)
    }
    assert {pk for pk in was_open if after[pk][1] == Stage.Status.DONE} == ended
    assert {pk for pk in was_open if after[pk][1] == Stage.Status.CANCELLED} == cancelled
    assert {pk for pk in was_open if after[pk][1] == Stage.Status.OPEN} == was_open - ended - cancelled
    started = set(after) - set(before)
    assert {after[pk][0] for pk in started} == set(outcome.opens)
    assert all(after[pk][1] == Stage.Status.OPEN for pk in started)
    assert case.state == (outcome.state.value if outcome.state else from_state)

    events = list(CaseEvent.objects.filter(case=case).order_by("id"))
    assert len(events) == events_before + 1
    event = events[-1]
    actor_id = org.users[scenario.actor].pk if scenario.actor else None
    assert (event.action, event.from_state, event.to_state, event.actor_id) == (
        scenario.action.value,
        from_state,
        case.state,
        actor_id,
    )
    # The derived field is refreshed from the stages still open.
    open_now = Stage.objects.filter(case=case, status=Stage.Status.OPEN).order_by("due_at", "id").first()
    assert (case.next_deadline_at, case.next_stage) == ((open_now.due_at, open_now.key) if open_now else (None, ""))
    # The copied administration the Head's figures filter by is the case's.
    assert set(Stage.objects.filter(case=case).values_list("administration_id", flat=True)) <= {case.administration_id}
    assert set(Assignment.objects.filter(case=case).values_list("administration_id", flat=True)) <= {
        case.administration_id
    }


def _attempt(w: World, action: Action, case: Case) -> None:
    """Take ``action`` on ``case`` as someone allowed to take it; only the state can stand in the way."""
    cur, zhkh = w.actor("curator"), w.actor("zhkh")
    take: dict[Action, Callable[[], Any]] = {
        Action.TRIAGE: lambda: actions.case_triage(case=case, actor=cur, data=actions.TriageData(importance="high")),
        Action.ROUTE: lambda: actions.case_route(case=case, actor=cur, targets=[actions.RouteTarget(w.dept("zhkh"))]),
        Action.REFUSE: lambda: actions.case_refuse(case=case, actor=cur, reason="Угрозы"),
        Action.ATTACH_MESSAGE: lambda: actions.case_attach_message(case=case, message=w.message(), actor=cur),
        Action.ACCEPT: lambda: actions.case_accept(case=case, actor=zhkh),
        Action.RETURN: lambda: actions.case_return(case=case, actor=zhkh, reason="Не наша компетенция"),
        Action.CONTRIBUTE: lambda: actions.case_contribute(case=case, actor=w.actor("roads"), text="Часть"),
        Action.SUBMIT_DRAFT: lambda: actions.case_submit_draft(case=case, actor=zhkh, kind="answer", text="Ответ"),
        Action.APPROVE: lambda: actions.case_approve(case=case, actor=cur),
        Action.RETURN_DRAFT: lambda: actions.case_return_draft(case=case, actor=cur, comment="Точнее"),
        Action.RESUBMIT: lambda: actions.case_resubmit(case=case, actor=zhkh, text="Исправлено"),
        Action.PUBLISH: lambda: actions.case_publish(case=case, actor=cur, url="https://example.org/x"),
        Action.COMMENT: lambda: actions.case_comment(case=case, actor=zhkh, text="Комментарий"),
        Action.RECOMPUTE_DEADLINES: lambda: actions.case_deadlines_recompute(case=case, changed_by=None, reason="x"),
    }
    if action is Action.PUBLISH_FAILED:
        # A pending publication exists only while its case is approved (publishing marks it done),
        # so this one is refused on the contract itself, as case_publication_failed enters it.
        with transition(action, case=case, actor=None):
            pass
        return
    take[action]()


def test_every_action_is_refused_in_every_state_the_table_does_not_allow(org) -> None:
    w = World(org)
    cases = {state: w.case_in(state) for state in State}
    w.clock = chita(2026, 12, 7, 17, 0)
    checked = 0
    for action, spec in TRANSITIONS.items():
        if spec.creates:
            continue
        for state in set(State) - spec.sources:
            case = cases[state]
            stages, events = _stages(case.pk), CaseEvent.objects.filter(case=case).count()
            with pytest.raises(IllegalTransition) as refused:
                _attempt(w, action, case)
            assert refused.value.status == 409
            assert refused.value.message == (
                f"Нельзя {ACTION_VERBS[action]}: обращение № {case.number} в состоянии «{STATE_TITLES[state]}»."
            ), (action, state)
            assert refused.value.extra == {"state": state.value, "action": action.value}
            assert Case.objects.get(pk=case.pk).state == state.value
            assert (_stages(case.pk), CaseEvent.objects.filter(case=case).count()) == (stages, events)
            checked += 1
    assert checked == sum(len(set(State) - s.sources) for s in TRANSITIONS.values() if not s.creates)


def test_the_contract_refuses_an_action_that_does_what_its_row_does_not_declare(org) -> None:
    w = World(org)
    review, routed, approved = w.case_in(State.REVIEW), w.case_in(State.ROUTED), w.case_in(State.APPROVED)
    snapshot = [(_stages(c.pk), CaseEvent.objects.filter(case=c).count()) for c in (review, routed, approved)]
    with pytest.raises(ContractError, match="does not open"):  # a stage no outcome of approval opens
        with transition(Action.APPROVE, case=review, actor=w.actor("curator"), now=w.now()) as t:
            t.open(StageKey.ROUTE)
    with pytest.raises(ContractError, match="does not open"):  # re-routing belongs to the lead's return
        with transition(Action.RETURN, case=routed, actor=w.actor("roads"), now=w.now()) as t:
            t.open(StageKey.ROUTE)
    with pytest.raises(ContractError, match="may not lead"):  # publication must say where it leads
        with transition(Action.PUBLISH, case=approved, actor=w.actor("curator"), now=w.now()):
            pass
    with pytest.raises(ContractError, match="not by the system"):
        with transition(Action.APPROVE, case=review, actor=None, now=w.now()):
            pass
    # Each was rolled back whole: the stages it ended at the start are open again, no event.
    assert [(_stages(c.pk), CaseEvent.objects.filter(case=c).count()) for c in (review, routed, approved)] == snapshot
