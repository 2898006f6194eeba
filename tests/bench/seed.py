"""Synthetic data for the screen benchmarks, written through the project's models.

``seed(n_cases)`` makes one administration ("bench") with ten departments, their executors, a
curator and the Head, three sources, and ``n_cases`` cases detected over two years up to now, as
a working region has them:

- every case has its message, one or two assignments (one in ten has a second department), its
  events (detect, route) and its stages (route, the lead's draft, the answer, a review);
- a case is closed within days: of the last ``RECENT_DAYS`` days' cases ``RECENT_OPEN`` are still
  open, of the older ones ``STUCK_OPEN`` — overdue, the cases the Head's figures are about
  (``open_share`` instead spreads open cases evenly over the two years, the earlier benchmark);
- an open case's stages are opened as ``sla.services.stage_start`` opens them (the regulation's
  limits counted on the administration's working calendar) and its list fields are those
  ``cases.listfields.case_list_fields`` makes of its nearest open stage — what
  ``contract.refresh_derived`` stores (``tests/integration/test_bench_seed.py`` checks a seed
  against it); closed cases carry their stages' stored facts;
- cases in review have a submitted draft and an open review stage (the review queue);
- ``INBOX`` new messages wait in the inbox; ``NOTIFICATIONS`` notifications per person.

Speed: ``Rows`` writes a model's rows with one ``executemany`` per batch — the columns, defaults
and database representation of values come from the model's own fields (a field added with a
default is filled in), but without building a model instance per row, which is where
``bulk_create`` spends 85 % of its time; ids are given in advance so related rows need no
read-back (PostgreSQL's sequences are moved past them at the end).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.management.color import no_style
from django.db import connection, models, transaction

BATCH = 20000
RECENT_DAYS = 14
RECENT_OPEN = 0.7
STUCK_OPEN = 0.02
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
            if not connection.in_atomic_block:  # (a test's transaction keeps its own)
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

    hashed = make_password(PASSWORD)  # hashed once: the hasher takes a second a password on purpose

    def user(name: str) -> User:
        u = User(username=name, first_name=name, password=hashed)
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


_MISSING = object()


def _sqlite_datetime(value: datetime) -> str:
    """``connection.ops.adapt_datetimefield_value`` of SQLite without its per-call settings
    lookups: the naive UTC time as text (psycopg takes the aware value as it is)."""
    return str(value.astimezone(UTC).replace(tzinfo=None))


class Rows:
    """Rows of one model, written with ``executemany`` in batches (see the module's note)."""

    def __init__(self, model: type[models.Model], now: datetime) -> None:
        self.model = model
        meta = model._meta
        self.pk = meta.pk.attname
        self.spec: list[tuple[str, Any, bool]] = []  # (attname, prepared default, is a datetime)
        columns = [meta.pk.column]
        for f in meta.concrete_fields:
            if f.primary_key:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                default: Any = now
            else:  # what bulk_create would write: the default, "" for text, NULL if allowed
                default = f.get_default()
                default = _MISSING if default is None and not f.null else f.get_db_prep_save(default, connection)
            if isinstance(default, str):
                default = str(default)  # a choices enum: its plain value
            is_dt = isinstance(f, models.DateTimeField)
            if is_dt and default is not _MISSING and default is not None:
                default = connection.ops.adapt_datetimefield_value(default)
            self.spec.append((f.attname, default, is_dt))
            columns.append(f.column)
        quote = connection.ops.quote_name
        self.sql = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX({quote(meta.pk.column)}) FROM {quote(meta.db_table)}")
            self.next_id = (cursor.fetchone()[0] or 0) + 1
        self.rows: list[list[Any]] = []
        self.written = 0
        self.adapt = _sqlite_datetime if connection.vendor == "sqlite" else None

    def add(self, **values: Any) -> int:
        pk = self.next_id
        self.next_id += 1
        row: list[Any] = [pk]
        adapt = self.adapt
        for attname, default, is_dt in self.spec:
            value = values.pop(attname, default)
            if value is _MISSING:
                raise TypeError(f"{self.model.__name__}.{attname} is required")
            if is_dt and adapt is not None and value is not None and not isinstance(value, str):
                value = adapt(value)
            row.append(value)
        if values:
            raise TypeError(f"{self.model.__name__} has no fields {sorted(values)}")
        self.rows.append(row)
        return pk

    def flush(self) -> None:
        if self.rows:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, self.rows)
            self.written += len(self.rows)
            self.rows.clear()

    def reset_sequence(self) -> None:
        """PostgreSQL: the id sequence past the ids given here (SQLite keeps it by itself)."""
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [self.model]):
                cursor.execute(sql)


def _is_open(rnd: random.Random, age_days: float, open_share: float | None) -> bool:
    if open_share is not None:
        return rnd.random() < open_share
    return rnd.random() < (RECENT_OPEN if age_days < RECENT_DAYS else STUCK_OPEN)


def seed(n_cases: int, *, now: datetime | None = None, log: object = print, open_share: float | None = None) -> Seeded:
    from otklik.cases.listfields import case_list_fields
    from otklik.cases.models import Assignment, Case, CaseEvent, Draft, search_key
    from otklik.domain.workflow import StageKey, State
    from otklik.inbox.models import Message, Source
    from otklik.notify.models import Notification
    from otklik.organization.models import Administration, Place, Topic
    from otklik.sla.models import Stage
    from otklik.sla.services import draft_lead_due, limit_seconds

    now = now or datetime.now(UTC)
    rnd = random.Random(352)
    t0 = time.perf_counter()
    _search_indexes_off()
    adm = Administration.objects.create(slug="bench", name="Администрация (бенчмарк)")
    calendar, regulation = adm.calendar, adm.regulation
    people = _users(adm)
    curator = people["curator"]
    depts = people["depts"]
    executors = {d.pk: people[f"exec-{i}"].pk for i, d in enumerate(depts)}  # type: ignore[attr-defined]
    topics = [Topic.objects.create(administration=adm, code=f"t{i}", name=f"Тема {i}") for i in range(15)]
    places = [Place.objects.create(administration=adm, name=f"Село {i}") for i in range(20)]
    sources = {
        net: Source.objects.create(administration=adm, name=f"Источник {net}", kind=kind, network=net)
        for net, kind in (("vk", "vk"), ("ok", "ok"), ("telegram", "telegram"))
    }
    open_states = [State.ROUTED, State.IN_WORK, State.IN_WORK, State.IN_WORK, State.REVIEW, State.REWORK]
    keys = (
        StageKey.ROUTE,
        StageKey.RETURN,
        StageKey.ANSWER,
        StageKey.DRAFT_LEAD,
        StageKey.REVIEW,
        StageKey.CONTRIBUTION,
    )
    limits = {key: regulation.limit(key.value) for key in keys}
    seconds = {key: limit_seconds(limit) for key, limit in limits.items()}
    wall = dict(zip(keys, (0.5, 0.5, 9.0, 5.0, 2.0, 4.0), strict=True))  # hours: the limits of closed cases
    cases, through = Rows(Case, now), Rows(Case.topics.through, now)
    msgs, assignments, stages = Rows(Message, now), Rows(Assignment, now), Rows(Stage, now)
    events, drafts = Rows(CaseEvent, now), Rows(Draft, now)
    tables = (cases, through, msgs, assignments, stages, events, drafts)
    curator_id, adm_id, topic_ids = curator.pk, adm.pk, [t.pk for t in topics]  # type: ignore[attr-defined]
    place_ids = [p.pk for p in places]
    open_ids: list[int] = []
    span = timedelta(days=730)

    def stage(
        case_id: int,
        key: StageKey,
        dept: int | None,
        started: datetime,
        *,
        end: datetime | None,
        is_open: bool,
        assignment: int | None = None,
        due: datetime | None = None,
        responsible: int | None = None,
    ) -> dict[str, Any]:
        """A stage as ``stage_start`` opens it (open cases) or with its stored facts (closed)."""
        if is_open:
            due = due or calendar.add(started, limits[key])
            limit = seconds[key]
        else:
            limit = int(wall[key] * 3600)
            due = started + timedelta(seconds=limit)
        fields: dict[str, Any] = dict(
            case_id=case_id,
            administration_id=adm_id,
            key=key.value,
            department_id=dept,
            started_at=started,
            due_at=due,
            limit_seconds=limit,
            assignment_id=assignment,
            responsible_id=responsible if responsible or dept is None else executors[dept],
        )
        if end is not None:
            fields.update(
                status="done", ended_at=end, elapsed_seconds=int((end - started).total_seconds()), on_time=end <= due
            )
        return fields

    for base in range(0, n_cases, BATCH):
        with transaction.atomic():
            for i in range(base, min(n_cases, base + BATCH)):
                detected = now - span * (1 - i / n_cases) - timedelta(minutes=rnd.randint(0, 600))
                is_open = _is_open(rnd, (now - detected).total_seconds() / 86400, open_share)
                words = rnd.sample(WORDS, rnd.randint(6, 14))
                if rnd.random() < 0.01:
                    words.append(RARE.capitalize())
                summary = " ".join(words).capitalize()
                state = rnd.choice(open_states) if is_open else State.CLOSED
                network = rnd.choice(["vk", "ok", "telegram"])
                lead = rnd.choice(depts).pk  # type: ignore[attr-defined]
                case_id = cases.next_id
                routed = detected + timedelta(minutes=rnd.randint(3, 25))
                accepted = None if state == State.ROUTED else routed + timedelta(minutes=rnd.randint(2, 25))
                lead_assignment = assignments.next_id
                other = rnd.choice([d.pk for d in depts if d.pk != lead]) if rnd.random() < 0.1 else None  # type: ignore[attr-defined]
                # as the action path opens them: detection opens route and answer (from the
                # detection), routing a competence decision (П.9) per department, the lead's
                # draft (П.11, before the answer's deadline) and another's contribution
                mine = [(lead, lead_assignment)] + ([(other, lead_assignment + 1)] if other is not None else [])
                case_stages = [
                    stage(case_id, StageKey.ROUTE, None, detected, end=routed, is_open=is_open, responsible=curator_id)
                ]
                case_stages += [
                    stage(case_id, StageKey.RETURN, d, routed, end=accepted, is_open=is_open, assignment=pk)
                    for d, pk in mine
                ]
                # the answer's stage is the case's, opened at detection: no department of its own
                # (the figures attribute it to the lead department)
                answer = stage(case_id, StageKey.ANSWER, None, detected, end=None, is_open=is_open)
                draft_end = part_end = closed = None
                if is_open:
                    if state == State.REVIEW:
                        draft_end = min(now, routed + timedelta(minutes=rnd.randint(30, 600)))
                    due = draft_lead_due(calendar, regulation, routed, answer["due_at"])
                    case_stages += [
                        answer,
                        stage(case_id, StageKey.DRAFT_LEAD, lead, routed, end=draft_end, is_open=True,
                              assignment=lead_assignment, due=due),
                    ]  # fmt: skip
                    if draft_end is not None:
                        case_stages.append(stage(case_id, StageKey.REVIEW, None, draft_end, end=None, is_open=True))
                else:
                    closed = routed + timedelta(hours=rnd.uniform(1, 11))
                    part_end = routed + (closed - routed) * 0.6
                    answer.update(status="done", ended_at=closed, on_time=closed <= answer["due_at"],
                                  elapsed_seconds=int((closed - detected).total_seconds()))  # fmt: skip
                    case_stages += [
                        stage(case_id, StageKey.DRAFT_LEAD, lead, routed, end=part_end, is_open=False,
                              assignment=lead_assignment),
                        stage(case_id, StageKey.REVIEW, None, part_end, end=part_end + timedelta(minutes=20),
                              is_open=False),
                        answer,
                    ]  # fmt: skip
                case_stages += [
                    stage(case_id, StageKey.CONTRIBUTION, d, routed, end=part_end, is_open=is_open, assignment=pk)
                    for d, pk in mine[1:]
                ]
                nearest = min((s for s in case_stages if "ended_at" not in s), key=lambda s: s["due_at"], default=None)
                listed = case_list_fields(_Stage(nearest) if nearest else None, calendar=calendar)
                cases.add(
                    administration_id=adm_id,
                    number=i + 1,
                    state=state.value,
                    network=network,
                    summary=summary,
                    search_text=search_key(summary),
                    importance=rnd.choice(["low", "normal", "normal", "high"]),
                    place_id=rnd.choice(place_ids) if rnd.random() < 0.7 else None,
                    significant=rnd.random() < 0.002,
                    detected_at=detected,
                    detected_by_id=curator_id,
                    answer_due_at=answer["due_at"],
                    closed_at=closed,
                    # the open answer counts for the lead department (contract.open_answer_fields)
                    open_answer_due_at=answer["due_at"] if is_open else None,
                    open_answer_department_id=lead if is_open else None,
                    **listed,
                )
                if is_open:
                    open_ids.append(case_id)
                through.add(case_id=case_id, topic_id=rnd.choice(topic_ids))
                msgs.add(
                    administration_id=adm_id,
                    source_id=sources[network].pk,
                    network=network,
                    external_id=f"c{i + 1}",
                    author_name="Житель",
                    text=summary + ". Просим разобраться.",
                    published_at=detected,
                    received_at=detected,
                    status=Message.Status.IN_CASE.value,
                    case_id=case_id,
                )
                status = "received" if accepted is None else "accepted"
                assignments.add(
                    case_id=case_id,
                    administration_id=adm_id,
                    department_id=lead,
                    order=1,
                    is_lead=True,
                    status=status,
                    assignee_id=executors[lead],
                    received_at=routed,
                    accepted_at=accepted,
                    case_open=is_open,
                )
                if other is not None:
                    assignments.add(
                        case_id=case_id,
                        administration_id=adm_id,
                        department_id=other,
                        order=0,
                        status=status,
                        assignee_id=executors[other],
                        received_at=routed,
                        accepted_at=accepted,
                        case_open=is_open,
                    )
                draft_id = None
                if state == State.REVIEW:
                    draft_id = drafts.add(
                        case_id=case_id,
                        department_id=lead,
                        text="Проект ответа: работы запланированы, сроки сообщим.",
                        author_id=executors[lead],
                        submitted_at=draft_end,
                    )
                for fields in case_stages:
                    if fields["key"] == StageKey.REVIEW.value:
                        fields["draft_id"] = draft_id
                    stages.add(**fields)
                events.add(case_id=case_id, actor_id=curator_id, at=detected, action="detect", to_state="triage")
                events.add(
                    case_id=case_id,
                    actor_id=curator_id,
                    at=routed,
                    action="route",
                    from_state="triage",
                    to_state="routed",
                )
            for table in tables:
                table.flush()
        if (base // BATCH) % 10 == 9:
            log(f"  … {base + BATCH:,} cases in {time.perf_counter() - t0:.0f} s")  # type: ignore[operator]
    if connection.vendor == "postgresql":
        for table in tables:
            table.reset_sequence()
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
    log(f"  rows written in {t1 - t0:.0f} s ({n_cases / max(t1 - t0, 1e-9):,.0f} cases a second)")  # type: ignore[operator]
    from otklik.core import fulltext

    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:  # (a test's transaction: the foreign keys checked before the indexes)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
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
        department_ids=[d.pk for d in depts],  # type: ignore[attr-defined]
        open_case_ids=open_ids,
        cases=n_cases,
    )


class _Stage:
    """The attributes ``case_list_fields`` reads, of a stage not written yet."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.key, self.started_at, self.due_at = fields["key"], fields["started_at"], fields["due_at"]
        self.limit_seconds = fields["limit_seconds"]
