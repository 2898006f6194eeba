"""The benchmark's data is what the action path would have written.

``tests/bench/seed.py`` writes a million cases in minutes by skipping model instances; the
screens it measures are only worth their figures if those rows are the ones real work leaves
behind. A small seed is checked here against the action path's own computations: the list
fields (``case_list_fields`` of the nearest open stage, what ``refresh_derived`` stores) and the
open answer's (``open_answer_fields``), the open stages' deadlines (``sla.services``), the stored
facts of ended stages, ``case_open`` and the search copy, and that every row loads through the
models.
"""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 3, 7, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("open_share", [None, 0.4])
def test_seeded_cases_match_the_action_path(open_share: float | None) -> None:
    from otklik.cases.actions.contract import open_answer_fields
    from otklik.cases.listfields import LIST_FIELDS, case_list_fields
    from otklik.cases.models import Assignment, Case, search_key
    from otklik.domain.workflow import StageKey, State
    from otklik.sla import services as sla
    from otklik.sla.models import Stage
    from tests.bench.seed import seed

    info = seed(300, now=NOW, log=lambda *_: None, open_share=open_share)
    cases = list(Case.objects.filter(administration_id=info.adm_id).select_related("administration"))
    assert len(cases) == 300
    adm = cases[0].administration
    calendar, regulation = adm.calendar, adm.regulation
    open_cases = [c for c in cases if c.is_open]
    assert open_cases and len(open_cases) < len(cases)
    assert sorted(info.open_case_ids) == sorted(c.pk for c in open_cases)
    for case in cases:
        expected = case_list_fields(sla.nearest_open_stage(case.pk), calendar=calendar)
        assert {name: getattr(case, name) for name in LIST_FIELDS} == expected, case.number
        stored = {
            "open_answer_due_at": case.open_answer_due_at,
            "open_answer_department_id": case.open_answer_department_id,
        }
        open_answer = Stage.objects.filter(case=case, key=StageKey.ANSWER.value, status=Stage.Status.OPEN).first()
        assert stored == open_answer_fields(case.pk, open_answer), case.number
        assert case.search_text == search_key(case.summary)
        assert set(Assignment.objects.filter(case=case).values_list("case_open", flat=True)) == {case.is_open}
        answer = Stage.objects.get(case=case, key=StageKey.ANSWER.value)
        assert case.answer_due_at == answer.due_at
        assert answer.started_at == case.detected_at
        assert answer.department_id is None and answer.responsible_id is None  # as detection opens it
        if not case.is_open:
            assert case.closed_at is not None and case.next_deadline_at is None
            assert not Stage.objects.filter(case=case, status=Stage.Status.OPEN).exists()
    # the administration copied onto stages and assignments (what the Head's figures filter by)
    assert not Stage.objects.filter(case__administration_id=info.adm_id).exclude(administration_id=info.adm_id)
    assert Stage.objects.filter(administration_id=info.adm_id).count() == Stage.objects.filter(case__in=cases).count()
    assert not Assignment.objects.filter(case__administration_id=info.adm_id).exclude(administration_id=info.adm_id)
    for stage in Stage.objects.filter(case__administration_id=info.adm_id, status=Stage.Status.OPEN):
        key = StageKey(stage.key)
        if key == StageKey.DRAFT_LEAD:
            answer_due = stage.case.answer_due_at
            assert stage.due_at == sla.draft_lead_due(calendar, regulation, stage.started_at, answer_due)
        else:
            assert stage.due_at == sla.due(calendar, regulation, key, stage.started_at)
        assert stage.ended_at is None and stage.on_time is None
    for stage in Stage.objects.filter(case__administration_id=info.adm_id, status=Stage.Status.DONE):
        assert stage.ended_at is not None and stage.elapsed_seconds is not None
        assert stage.on_time == (stage.ended_at <= stage.due_at)
    # the review queue: a submitted draft and an open review stage for each case in review
    for case in open_cases:
        if case.state == State.REVIEW:
            assert case.drafts.filter(status="review").count() == 1
            assert Stage.objects.filter(case=case, key=StageKey.REVIEW.value, status="open").exists()


def test_seed_fills_every_field_the_models_define() -> None:
    """Defaults come from the models: a row written by the seed equals one read back and saved."""
    from otklik.cases.models import Case
    from otklik.inbox.models import Message
    from tests.bench.seed import seed

    seed(20, now=NOW, log=lambda *_: None, open_share=0.5)
    case = Case.objects.order_by("pk").first()
    assert case is not None and case.created_at is not None
    message = Message.objects.filter(case=case).get()
    assert message.context == {} and message.attachments == [] and message.raw == {}
    Case.objects.create(
        administration=case.administration, number=999, network="vk", detected_at=NOW, detected_by=case.detected_by
    )  # the ids the seed gave leave the next id free
