"""Synthetic data for the screen benchmarks, written through the project's models.

``seed(n_cases)`` makes one administration ("bench") with ten departments, their executors, a
curator and the Head, three sources, and ``n_cases`` cases spread over two years up to now:

- every case has its message, one assignment (one in ten has a second department), two events
  (detect, route) and its stages (route done; answer and the lead's draft open while the case is
  open), ~20 % are open, spread over the open states;
- open cases in review have a draft under review (the review queue);
- ``INBOX`` new messages wait in the inbox; ``NOTIFICATIONS`` notifications per person.

Rows are bulk-created in batches (``bulk_create``: the models' fields and defaults, not raw SQL),
and the list fields every list reads are filled exactly as the action path stores them.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import User
from django.db import connection, transaction

BATCH = 10000
INBOX = 2000
NOTIFICATIONS = 300
PASSWORD = "bench-password-352"

WORDS = (
    "вода труба отопление дорога яма свет фонарь мусор контейнер школа детский сад автобус остановка "
    "мост снег наледь крыша подъезд забор собака поликлиника врач аптека магазин клуб библиотека "
    "водопровод колонка скважина электричество столб провод котельная батарея"
).split()
RARE = "экскаватор"


def _search_indexes_off() -> None:
    """Seeding is faster without the full-text indexes; ``fulltext.install`` builds them after.

    (SQLite: the triggers go and the FTS table is filled once from the table; PostgreSQL: the GIN
    indexes are created over the seeded rows instead of being updated row by row.)"""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
            for name in ("otklik_fts_case_ai", "otklik_fts_case_au", "otklik_fts_message_ai", "otklik_fts_message_au"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif connection.vendor == "postgresql":
            for name in ("otklik_case_fts", "otklik_case_trgm", "otklik_message_fts", "otklik_message_trgm"):
                cursor.execute(f"DROP INDEX IF EXISTS {name}")


@dataclass
class Seeded:
    adm_id: int
    curator: str
    head: str
    executor: str
    department_ids: list[int]
    open_case_ids: list[int]
    cases: int


def _users(adm: object) -> dict[str, object]:
    from otklik.organization.models import Department, Membership, Role

    made: dict[str, object] = {}

    def user(name: str) -> User:
        u = User(username=name, first_name=name)
        u.set_password(PASSWORD)
        u.save()
        return u

    made["curator"] = curator = user("bench-curator")
    Membership.objects.create(user=curator, administration=adm, role=Role.CURATOR)
    made["head"] = head = user("bench-head")
    Membership.objects.create(user=head, administration=adm, role=Role.HEAD)
    depts = []
    for i in range(10):
        dept = Department.objects.create(administration=adm, name=f"Отдел {i + 1}")
        depts.append(dept)
        ex = user(f"bench-exec-{i}")
        Membership.objects.create(user=ex, administration=adm, role=Role.EXECUTOR, department=dept)
        made[f"exec-{i}"] = ex
    made["depts"] = depts  # type: ignore[assignment]
    return made


def seed(n_cases: int, *, now: datetime | None = None, log: object = print) -> Seeded:
    from otklik.cases.listfields import thresholds
    from otklik.cases.models import Assignment, Case, CaseEvent, Draft, search_key
    from otklik.domain.workflow import OPEN_STATES, State
    from otklik.inbox.models import Message, Source
    from otklik.notify.models import Notification
    from otklik.organization.models import Administration, Place, Topic
    from otklik.sla.models import Stage

    now = now or datetime.now(UTC)
    rnd = random.Random(352)
    t0 = time.perf_counter()
    _search_indexes_off()
    adm = Administration.objects.create(slug="bench", name="Администрация (бенчмарк)")
    people = _users(adm)
    curator = people["curator"]
    depts = people["depts"]
    topics = [Topic.objects.create(administration=adm, code=f"t{i}", name=f"Тема {i}") for i in range(15)]
    places = [Place.objects.create(administration=adm, name=f"Село {i}") for i in range(20)]
    sources = {
        net: Source.objects.create(administration=adm, name=f"Источник {net}", kind=kind, network=net)
        for net, kind in (("vk", "vk"), ("ok", "ok"), ("telegram", "telegram"))
    }
    open_states = sorted(s.value for s in OPEN_STATES)
    through = Case.topics.through
    open_ids: list[int] = []
    for base in range(0, n_cases, BATCH):
        with transaction.atomic():
            cases = []
            for i in range(base, min(n_cases, base + BATCH)):
                detected = now - timedelta(days=730 * (1 - i / n_cases), minutes=rnd.randint(0, 600))
                is_open = rnd.random() < 0.2
                words = rnd.sample(WORDS, rnd.randint(6, 14))
                if rnd.random() < 0.01:
                    words.append(RARE.capitalize())
                summary = " ".join(words).capitalize()
                state = rnd.choice(open_states) if is_open else State.CLOSED.value
                next_due = (now + timedelta(hours=rnd.randint(-20, 40))) if is_open else None
                case = Case(
                    administration=adm,
                    number=i + 1,
                    state=state,
                    network=rnd.choice(["vk", "ok", "telegram"]),
                    summary=summary,
                    search_text=search_key(summary),
                    importance=rnd.choice(["low", "normal", "normal", "high"]),
                    place=rnd.choice(places) if rnd.random() < 0.7 else None,
                    significant=rnd.random() < 0.002,
                    detected_at=detected,
                    detected_by=curator,
                    answer_due_at=detected + timedelta(hours=rnd.randint(1, 30)),
                    next_deadline_at=next_due,
                    next_stage="draft_lead" if is_open else "",
                    closed_at=None if is_open else detected + timedelta(hours=5),
                )
                if is_open and next_due is not None:  # the list fields, as the action path stores them
                    case.next_started_at = next_due - timedelta(hours=rnd.randint(2, 40))
                    case.next_amber_at, case.next_red_at = thresholds(
                        started=case.next_started_at,
                        due=next_due,
                        limit_seconds=None,
                        calendar=None,  # type: ignore[arg-type]
                    )
                cases.append(case)
            created = Case.objects.bulk_create(cases)
            if created[0].pk is None:
                by_number = dict(
                    Case.objects.filter(administration=adm, number__gte=cases[0].number).values_list("number", "pk")
                )
                for c in cases:
                    c.pk = by_number[c.number]
            through.objects.bulk_create([through(case_id=c.pk, topic_id=rnd.choice(topics).pk) for c in cases])
            msgs, assignments, stages, events, drafts = [], [], [], [], []
            for c in cases:
                is_open = c.state != State.CLOSED.value
                if is_open:
                    open_ids.append(c.pk)
                src = sources[c.network]
                msgs.append(
                    Message(
                        administration=adm,
                        source=src,
                        network=c.network,
                        external_id=f"c{c.number}",
                        author_name="Житель",
                        text=c.summary + ". Просим разобраться.",
                        published_at=c.detected_at,
                        received_at=c.detected_at,
                        status=Message.Status.IN_CASE,
                        case_id=c.pk,
                    )
                )
                lead = rnd.choice(depts)
                assignments.append(
                    Assignment(
                        case_id=c.pk,
                        department=lead,
                        order=1,
                        is_lead=True,
                        status="accepted",
                        assignee=people[f"exec-{depts.index(lead)}"],
                        received_at=c.detected_at,
                        accepted_at=c.detected_at + timedelta(minutes=10),
                        case_open=is_open,
                    )
                )
                if rnd.random() < 0.1:
                    other = rnd.choice([d for d in depts if d.pk != lead.pk])
                    assignments.append(
                        Assignment(
                            case_id=c.pk,
                            department=other,
                            order=0,
                            status="accepted",
                            assignee=people[f"exec-{depts.index(other)}"],
                            received_at=c.detected_at,
                            case_open=is_open,
                        )
                    )
                for key, hours in (("route", 0.5), ("answer", 9), ("draft_lead", 5)):
                    due = c.detected_at + timedelta(hours=hours)
                    done = not is_open or key == "route"
                    stages.append(
                        Stage(
                            case_id=c.pk,
                            key=key,
                            department=lead if key != "route" else None,
                            started_at=c.detected_at,
                            due_at=due if done or key != "draft_lead" else c.next_deadline_at,
                            status="done" if done else "open",
                            ended_at=due - timedelta(minutes=5) if done else None,
                            limit_seconds=int(hours * 3600),
                            elapsed_seconds=int(hours * 3600) - 300 if done else None,
                            on_time=True if done else None,
                        )
                    )
                events.append(
                    CaseEvent(case_id=c.pk, actor=curator, at=c.detected_at, action="detect", to_state="triage")
                )
                events.append(
                    CaseEvent(
                        case_id=c.pk,
                        actor=curator,
                        at=c.detected_at + timedelta(minutes=5),
                        action="route",
                        from_state="triage",
                        to_state="routed",
                    )
                )
                if c.state == State.REVIEW.value:
                    drafts.append(
                        Draft(
                            case_id=c.pk,
                            department=lead,
                            text="Проект ответа: работы запланированы, сроки сообщим.",
                            author=people[f"exec-{depts.index(lead)}"],
                            submitted_at=now - timedelta(minutes=rnd.randint(1, 600)),
                        )
                    )
            Message.objects.bulk_create(msgs)
            Assignment.objects.bulk_create(assignments)
            Stage.objects.bulk_create(stages, batch_size=2000)
            CaseEvent.objects.bulk_create(events, batch_size=2000)
            Draft.objects.bulk_create(drafts)
        if (base // BATCH) % 20 == 19:
            log(f"  … {base + BATCH:,} cases in {time.perf_counter() - t0:.0f} s")  # type: ignore[operator]
    inbox = [
        Message(
            administration=adm,
            source=sources["vk"],
            network="vk",
            external_id=f"n{i}",
            author_name="Житель",
            text=" ".join(rnd.sample(WORDS, 12)).capitalize(),
            published_at=now - timedelta(minutes=i),
            received_at=now - timedelta(minutes=i),
        )
        for i in range(INBOX)
    ]
    Message.objects.bulk_create(inbox, batch_size=2000)
    notes = []
    for key, u in people.items():
        if key == "depts":
            continue
        for i in range(NOTIFICATIONS):
            notes.append(
                Notification(
                    recipient=u,
                    administration=adm,
                    kind="case",
                    title=f"Обращение № {rnd.randint(1, n_cases)}: новое событие",
                    body="Подробности на странице обращения.",
                    created_at=now - timedelta(minutes=7 * i),
                    read_at=None if i < 20 else now,
                )
            )
    Notification.objects.bulk_create(notes, batch_size=2000)
    t1 = time.perf_counter()
    from otklik.core import fulltext

    fulltext.install(connection)  # the full-text indexes, built once over what was seeded
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"  full-text indexes and statistics in {time.perf_counter() - t1:.0f} s")  # type: ignore[operator]
    log(f"seed: {n_cases:,} cases in {time.perf_counter() - t0:.0f} s")  # type: ignore[operator]
    return Seeded(
        adm_id=adm.pk,
        curator="bench-curator",
        head="bench-head",
        executor="bench-exec-3",
        department_ids=[d.pk for d in depts],
        open_case_ids=open_ids,
        cases=n_cases,
    )
