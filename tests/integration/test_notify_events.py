"""Case events fan out to the right people, once; significant cases reach the Head at once (П.23)."""

from __future__ import annotations

import pytest

from tests.conftest import chita
from tests.integration.reports_seed import detect, message, route

pytestmark = pytest.mark.django_db


def _to(org, title_part):  # type: ignore[no-untyped-def]
    from otklik.notify.models import Notification

    return sorted(
        n.recipient.username.removeprefix("gz-")
        for n in Notification.objects.filter(title__contains=title_part).select_related("recipient")
    )


def test_workflow_events_reach_the_people_concerned(org, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    from otklik.cases import actions as a

    cur, zhkh = org.actor("curator"), org.actor("zhkh")
    with django_capture_on_commit_callbacks(execute=True):
        case = detect(org, "Нет воды", chita(2026, 5, 4, 10), topic="zhkh")
        route(org, case, "zhkh", chita(2026, 5, 4, 10, 10))
    assert _to(org, "направлено в ваше подразделение") == ["zhkh"]
    with django_capture_on_commit_callbacks(execute=True):
        a.case_submit_draft(case=case, actor=zhkh, kind="answer", text="Ответ", now=chita(2026, 5, 4, 11))
    assert _to(org, "направлен на согласование") == ["curator"]
    with django_capture_on_commit_callbacks(execute=True):
        a.case_return_draft(case=case, actor=cur, comment="Уточните", now=chita(2026, 5, 4, 11, 10))
    assert _to(org, "возвращён на доработку") == ["zhkh"]
    with django_capture_on_commit_callbacks(execute=True):
        a.case_resubmit(case=case, actor=zhkh, text="Ответ 2", now=chita(2026, 5, 4, 11, 30))
        a.case_approve(case=case, actor=cur, now=chita(2026, 5, 4, 11, 40))
    assert _to(org, "направлен на согласование") == ["curator", "curator"]
    assert _to(org, "согласован — разместите") == ["zhkh"]


def test_return_goes_to_curators_and_the_actor_is_not_told_of_own_action(
    org, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from otklik.cases import actions as a
    from otklik.notify.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        case = detect(org, "Про школу", chita(2026, 5, 4, 10))
        route(org, case, "zhkh", chita(2026, 5, 4, 10, 5))
        a.case_return(case=case, actor=org.actor("zhkh"), reason="Не наша компетенция", now=chita(2026, 5, 4, 10, 20))
    assert _to(org, "возвращено куратору") == ["curator"]
    assert not Notification.objects.filter(recipient=org.users["curator"], title__contains="в ваше подразделение")


def test_an_event_handled_twice_notifies_once(org, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    from otklik.cases.models import CaseEvent
    from otklik.notify.events import on_case_event
    from otklik.notify.models import Delivery, Notification

    org.users["zhkh"].email = "zhkh@example.ru"
    org.users["zhkh"].save()
    with django_capture_on_commit_callbacks(execute=True):
        case = detect(org, "Нет воды", chita(2026, 5, 4, 10))
        route(org, case, "zhkh", chita(2026, 5, 4, 10, 10))
    event = CaseEvent.objects.get(case=case, action="route")
    on_case_event(event.pk)
    on_case_event(event.pk)
    assert Notification.objects.filter(recipient=org.users["zhkh"]).count() == 1
    assert Delivery.objects.get().status == "sent"


def test_absent_executor_is_replaced_by_the_substitute(org, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from otklik.organization.models import Absence

    Absence.objects.create(administration=org.adm, user=org.users["zhkh"], substitute=org.users["zhkh2"],
                           reason="vacation", start_date=dt.date(2026, 5, 1), end_date=dt.date(2026, 5, 31))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        case = detect(org, "Нет воды", chita(2026, 5, 4, 10))
        route(org, case, "zhkh", chita(2026, 5, 4, 10, 10))
    assert _to(org, "в ваше подразделение") == ["zhkh2"]


def test_significant_case_reaches_the_head_at_once_even_at_night(org, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    from otklik.cases import actions as a
    from otklik.notify.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        case = detect(org, "Прорыв теплотрассы, дома без тепла", chita(2026, 5, 4, 2, 30))
    assert not Notification.objects.filter(kind="significant").exists()
    with django_capture_on_commit_callbacks(execute=True):
        a.case_triage(case=case, actor=org.actor("curator"), data=a.TriageData(significant=True),
                      now=chita(2026, 5, 4, 2, 35))  # fmt: skip
        a.case_triage(case=case, actor=org.actor("curator"), data=a.TriageData(importance="critical"),
                      now=chita(2026, 5, 4, 2, 40))  # fmt: skip
    alert = Notification.objects.get(kind="significant")
    assert alert.recipient == org.users["head"] and alert.urgent
    assert alert.created_at == chita(2026, 5, 4, 2, 35)


def test_significant_by_triage_of_the_message(org, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    from otklik.cases.actions import TriageData, case_detect, case_triage
    from otklik.notify.alerts import alert_significant_messages
    from otklik.notify.models import Notification

    msg = message(org, "Мост обрушился", chita(2026, 5, 4, 23), triage={"significant": True,
                  "significance_reasons": ["угроза жизни"]})  # fmt: skip
    assert alert_significant_messages(chita(2026, 5, 4, 23, 1)) == 1
    assert alert_significant_messages(chita(2026, 5, 4, 23, 2)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        case = case_detect(message=msg, actor=org.actor("curator"), now=chita(2026, 5, 4, 23, 5))
    alerts = Notification.objects.filter(kind="significant", recipient=org.users["head"])
    assert alerts.count() == 1  # the message was already reported
    with django_capture_on_commit_callbacks(execute=True):
        case_triage(case=case, actor=org.actor("curator"), data=TriageData(significant=True),
                    now=chita(2026, 5, 4, 23, 10))  # fmt: skip
    # the curator's own escalation of the case is told, with the triage's reasons
    assert alerts.count() == 2
    assert "угроза жизни" in alerts.get(case__isnull=False).body
