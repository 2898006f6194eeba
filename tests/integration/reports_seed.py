"""A month with holidays (May 2026, Asia/Chita) seeded through the real case actions.

Every figure the report tests expect is computed by hand in the comments below (working time:
Mon–Fri 09:00–13:00, 14:00–18:00; 1–3 and 9–11 May are days off; 8 May ends at 17:00).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from tests.conftest import Org, chita

_ids = itertools.count(1)


def message(org: Org, text: str, at: dt.datetime, *, network: str = "ok", triage: dict | None = None) -> Any:
    from otklik.inbox.models import Message, Source

    source, _ = Source.objects.get_or_create(
        administration=org.adm, name=f"Источник {network}", defaults={"kind": "manual", "network": network}
    )
    return Message.objects.create(
        administration=org.adm,
        source=source,
        network=network,
        external_id=f"m{next(_ids)}",
        text=text,
        received_at=at,
        triage=triage or {},
    )


def detect(
    org: Org,
    text: str,
    at: dt.datetime,
    *,
    network: str = "ok",
    topic: str | None = None,
    place: str | None = None,
    repeat_of: Any = None,
    significant: bool | None = None,
) -> Any:
    from otklik.cases.actions import TriageData, case_detect

    msg = message(org, text, at - dt.timedelta(minutes=5), network=network)
    triage = TriageData(
        topic_ids=[org.topics[topic].pk] if topic else (),
        place_id=org.places[place].pk if place else None,
        significant=significant,
    )
    return case_detect(message=msg, actor=org.actor("curator"), now=at, triage=triage, repeat_of=repeat_of)


def route(org: Org, case: Any, dept: str, at: dt.datetime) -> Any:
    from otklik.cases.actions import RouteTarget, case_route

    return case_route(case=case, actor=org.actor("curator"), targets=[RouteTarget(org.depts[dept].pk)], now=at)


def seed_may_2026(org: Org) -> dict[str, Any]:
    from otklik.cases import actions as a

    cur = org.actor("curator")
    zhkh = org.actor("zhkh")
    roads = org.actor("roads")

    # A — ЖКХ, on time. Detected Mon 4 May 10:00; answer due Tue 5 May 11:00.
    case_a = detect(org, "Нет воды на ул. Ленина", chita(2026, 5, 4, 10), topic="zhkh", place="gz")
    route(org, case_a, "zhkh", chita(2026, 5, 4, 10, 20))  # route 1200 s
    a.case_accept(case=case_a, actor=zhkh, now=chita(2026, 5, 4, 10, 30))  # return 600 s
    a.case_submit_draft(
        case=case_a, actor=zhkh, kind="answer", text="Воду дадут сегодня.", now=chita(2026, 5, 4, 15)
    )  # draft_lead 13200 s (due 16:00), on time
    a.case_approve(case=case_a, actor=cur, now=chita(2026, 5, 4, 15, 20))  # review 1200 s
    a.case_publish(case=case_a, actor=zhkh, url="https://ok.ru/a", now=chita(2026, 5, 4, 15, 40))  # publish 1200 s
    # answer: 10:00→15:40 = 16800 s, on time

    # B — ЖКХ, late across the May holidays. Detected Thu 7 May 16:00; answer due Fri 8 May 17:00.
    case_b = detect(
        org, "Яма на дороге к котельной", chita(2026, 5, 7, 16), network="forum", topic="zhkh", place="shirokaya"
    )
    route(org, case_b, "zhkh", chita(2026, 5, 7, 16, 10))  # route 600 s
    a.case_accept(case=case_b, actor=zhkh, now=chita(2026, 5, 7, 16, 40))  # return 1800 s, on time (due 16:40)
    a.case_submit_draft(
        case=case_b, actor=zhkh, kind="answer", text="Проект.", now=chita(2026, 5, 8, 16)
    )  # draft_lead due 8 May 12:00: 28200 s, late by 3 h
    a.case_return_draft(
        case=case_b, actor=cur, comment="Уточните сроки.", now=chita(2026, 5, 8, 16, 30)
    )  # review 1800 s
    a.case_resubmit(case=case_b, actor=zhkh, text="Исправлено.", now=chita(2026, 5, 12, 10))  # rework 5400 s, late
    a.case_approve(case=case_b, actor=cur, now=chita(2026, 5, 12, 10, 10))  # review 600 s
    a.case_publish(case=case_b, actor=zhkh, url="https://forum/b", now=chita(2026, 5, 12, 11))  # publish 3000 s, late
    # answer: 2 h + 7 h + 2 h = 39600 s, late by 2 working hours

    # C — Дороги: interim answer, then the final one (П.15). Detected Tue 12 May 09:00.
    case_c = detect(org, "Когда отремонтируют мост?", chita(2026, 5, 12, 9), network="forum", topic="roads", place="gz")
    route(org, case_c, "roads", chita(2026, 5, 12, 9, 15))  # route 900 s
    a.case_submit_draft(
        case=case_c, actor=roads, kind="interim", text="Ремонт запланирован, сообщим сроки.", now=chita(2026, 5, 12, 11)
    )  # return closes 6300 s late (due 9:45); draft_lead 6300 s
    a.case_approve(case=case_c, actor=cur, now=chita(2026, 5, 12, 11, 20))  # review 1200 s
    a.case_publish(case=case_c, actor=roads, url="https://forum/c1", now=chita(2026, 5, 12, 11, 30))  # publish 600 s
    # answer: 9000 s, on time; interim 1
    a.case_submit_draft(
        case=case_c, actor=roads, kind="answer", text="Мост отремонтируют в июне.", now=chita(2026, 5, 20, 10)
    )  # final_after_interim 167400 s, on time
    a.case_approve(case=case_c, actor=cur, now=chita(2026, 5, 20, 10, 30))  # review 1800 s
    a.case_publish(case=case_c, actor=roads, url="https://forum/c2", now=chita(2026, 5, 20, 11))  # publish 1800 s

    # D — refused under П.19. Route stage 300 s.
    case_d = detect(org, "Оскорбления в адрес главы", chita(2026, 5, 13, 10))
    a.case_refuse(case=case_d, actor=cur, reason="Оскорбительные выражения (п. 19)", now=chita(2026, 5, 13, 10, 5))

    # E — a repeat of A, routed to ЖКХ and never taken up: overdue and unanswered at the end of May.
    case_e = detect(
        org, "Опять нет воды на ул. Ленина", chita(2026, 5, 27, 9), topic="zhkh", place="gz", repeat_of=case_a
    )
    route(org, case_e, "zhkh", chita(2026, 5, 27, 9, 10))  # route 600 s; return due 9:40 → 23.33 h overdue

    # Dynamics baselines: April 2026 (previous month) and May 2025 (a year before).
    for text, at, network, topic in (
        ("Дорога разбита", chita(2026, 4, 20, 10), "forum", "roads"),
        ("Нет отопления", chita(2025, 5, 14, 10), "ok", "zhkh"),
    ):
        old = detect(org, text, at, network=network, topic=topic, place="gz")
        a.case_refuse(case=old, actor=cur, reason="Закрыто для примера", now=at + dt.timedelta(minutes=1))
    return {"a": case_a, "b": case_b, "c": case_c, "d": case_d, "e": case_e}


REPORT_NOW = chita(2026, 6, 15, 12)
