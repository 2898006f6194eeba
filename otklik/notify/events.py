"""Who hears about a case event: ``on_case_event(event_id)`` fans it out — new assignments to their
executors, drafts to the curators, returns to the lead executor, breaches to the responsible person
and the curators (within working hours, see ``reminders``), significant cases to the Head at once
(П.23, ``alerts``). The delivery machinery below it is ``services.py``.
"""

from __future__ import annotations

from .alerts import alert_significant_case
from .models import Notification
from .reminders import breach_notify
from .services import case_url, curators, department_people, lead_assignee, notify, present


def on_case_event(event_id: int) -> None:
    """Deliver notifications for a case event; the delivery rules live in this module."""
    from otklik.cases.models import CaseEvent

    event = CaseEvent.objects.select_related("case__administration").filter(pk=event_id).first()
    if event is None:
        return
    case = event.case
    adm = case.administration
    now = event.at  # the notice is about that moment (and keeps tests and replays deterministic)
    payload = event.payload or {}
    number = case.number
    url = case_url(case)
    key = f"event:{event.pk}"
    recipients: list[int | None] = []
    title = ""
    body = case.summary[:300]
    kind = Notification.Kind.CASE

    if event.action == "route":
        for dept in payload.get("departments", []):
            assignee = dept.get("assignee")
            recipients += [assignee] if assignee else department_people(dept["id"])
        title = f"Обращение № {number} направлено в ваше подразделение"
    elif event.action in ("submit_draft", "resubmit"):
        recipients = list(curators(adm))
        title = f"Проект ответа по обращению № {number} направлен на согласование"
    elif event.action == "return_draft":
        recipients = list(lead_assignee(case))
        title = f"Проект ответа по обращению № {number} возвращён на доработку"
        body = payload.get("comment", "") or body
    elif event.action == "approve":
        recipients = list(lead_assignee(case))
        title = f"Ответ по обращению № {number} согласован — разместите его"
    elif event.action == "return":
        recipients = list(curators(adm))
        title = f"Обращение № {number} возвращено куратору подразделением «{payload.get('department', '')}»"
        body = payload.get("reason", "") or body
    elif event.action == "publish_failed":
        recipients = list(lead_assignee(case))
        title = f"Не удалось автоматически разместить ответ по обращению № {number} — разместите вручную"
        body = payload.get("error", "") or body
    elif event.action == "breach":
        breach_notify(stage_id=payload.get("stage_id"), now=now)
    if event.action in ("detect", "triage") or case.significant:
        alert_significant_case(case, now=now)
    if not title:
        return
    recipients = [r for r in recipients if r != event.actor_id]
    notify(
        recipients=present(recipients, administration=adm, now=now),
        title=title,
        body=body,
        url=url,
        kind=kind,
        administration=adm,
        case_id=case.pk,
        dedupe_key=key,
        now=now,
    )
