"""Reads of cases, always through the actor's visibility (the access rules of the workflow).

Executors see the cases addressed to their departments (or to them as a substitute); curators,
the responsible official and the Head see all of their administration; nobody sees another
administration's data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import F, Min, Q, QuerySet

from otklik.core import fulltext
from otklik.core.errors import NotFound
from otklik.core.plainsql import name, objects, table
from otklik.inbox.models import Message
from otklik.organization.services import Actor
from otklik.sla.models import Stage

from .models import Assignment, Case, CaseEvent, Draft, open_condition


def cases_visible_to(actor: Actor) -> QuerySet[Case]:
    qs = Case.objects.filter(administration=actor.administration)
    if actor.sees_everything:
        return qs
    # IN, not a correlated EXISTS: the database reads the executor's assignments once (an index on
    # department) instead of probing them for every case of a list it walks in deadline order.
    mine = Assignment.objects.filter(
        Q(department_id__in=list(actor.department_ids)) | Q(assignee_id=actor.user_id)
    ).values("case_id")
    return qs.filter(pk__in=mine)


@dataclass(frozen=True)
class CaseFilter:
    state: list[str] | None = None
    open_only: bool = False
    department_id: int | None = None
    topic_id: int | None = None
    place_id: int | None = None
    network: str | None = None
    importance: str | None = None
    due_before: dt.datetime | None = None
    overdue_at: dt.datetime | None = None
    detected_from: dt.datetime | None = None
    detected_to: dt.datetime | None = None
    text: str | None = None
    number: int | None = None


def case_list(
    actor: Actor, f: CaseFilter | None = None, *, order: str = "deadline", walk: bool = False
) -> QuerySet[Case]:
    """The cases the actor sees, filtered and ordered; ``walk``: see ``fulltext.search_cases``."""
    qs = cases_visible_to(actor)
    f = f or CaseFilter()
    if f.state:
        qs = qs.filter(state__in=f.state)
    if f.open_only or f.overdue_at:
        # Written exactly as the condition of the partial index ``case_open_levels``, so the
        # database walks the open cases in deadline order. Overdue cases are open by definition
        # (closed ones have no deadline).
        qs = qs.filter(open_condition())
    if f.department_id:
        # IN, not a correlated EXISTS: SQLite would probe the assignments once per case. For open
        # lists only the department's open cases (``case_open``, indexed) go into the IN list.
        dept = Assignment.objects.filter(department_id=f.department_id).exclude(status=Assignment.Status.CANCELLED)
        if f.open_only or f.overdue_at:
            dept = dept.filter(case_open=True)
        qs = qs.filter(pk__in=dept.values("case_id"))
    if f.topic_id:
        qs = qs.filter(topics__id=f.topic_id)
    if f.place_id:
        qs = qs.filter(place_id=f.place_id)
    if f.network:
        qs = qs.filter(network=f.network)
    if f.importance:
        qs = qs.filter(importance=f.importance)
    if f.due_before:
        qs = qs.filter(next_deadline_at__lte=f.due_before)
    if f.overdue_at:
        qs = qs.filter(next_deadline_at__lt=f.overdue_at)
    if f.detected_from:
        qs = qs.filter(detected_at__gte=f.detected_from)
    if f.detected_to:
        qs = qs.filter(detected_at__lt=f.detected_to)
    if f.number:
        qs = qs.filter(number=f.number)
    if f.text and f.text.strip():
        qs = fulltext.search_cases(qs, f.text, walk=walk)
    return ordered(qs, order)


#: From how many full-text matches a search reads a page by walking the list's index
#: (``case_slice``) instead of reading every match and sorting them. Reading a match by its rowid
#: costs about 2 µs; walking costs about the number of open cases passed before a page is full.
COMMON_MATCHES = 2000


def case_slice(actor: Actor, f: CaseFilter, *, order: str, offset: int, limit: int) -> list[Case]:
    """``case_list(actor, f, order=order)[offset:offset + limit]``, read faster when the search
    text matches many cases.

    The deadline order puts the open cases with a deadline first, by deadline, and then the rest
    (without a deadline: closed or refused) newest first. For a common word the first part is
    read by walking a deadline index of the open cases (SQLite takes ``case_open_levels``, which
    covers the query) and probing each case for the match (SQLite: its FTS rowids; PostgreSQL:
    the ``russian`` vector or the fragment, computed for the row), the second by walking the
    cases' date index (``case_period``), each stopping once the slice is full: at 100,000 cases
    a word in 28,581 of them took 57–130 ms sorted and takes 12–15 ms walked (SQLite; 4.6 ms
    of SQL on PostgreSQL). Cases come back in exactly the list's order, as long as every case
    with a deadline is open (``refresh_derived`` clears the deadline of a closed case); one that
    is not would be listed among the cases without one.
    """
    common = (
        order == "deadline"
        and bool(f.text and f.text.strip())
        and (fulltext.count_case_matches(Case.objects.all(), f.text or "", cap=COMMON_MATCHES) or 0) >= COMMON_MATCHES
    )
    if not common:
        return list(case_list(actor, f, order=order)[offset : offset + limit])
    walk = case_list(actor, f, order=order, walk=True)
    due = Q(open_condition(), next_deadline_at__isnull=False)
    first = walk.filter(due).order_by("next_deadline_at", "-detected_at", "-id").values_list("pk", flat=True)
    ids = list(first[offset : offset + limit])
    if len(ids) < limit:
        # How many cases the first part holds: known from the slice unless it started past them.
        before = offset + len(ids) if ids or offset == 0 else first.count()
        rest = walk.exclude(due).order_by("-detected_at", "-id").values_list("pk", flat=True)
        start = max(0, offset - before)
        ids += list(rest[start : start + limit - len(ids)])
    position = {pk: i for i, pk in enumerate(ids)}
    cases = list(ordered(Case.objects.filter(pk__in=ids), order))
    cases.sort(key=lambda c: position[c.pk])
    return cases


def ordered(qs: QuerySet[Case], order: str = "deadline") -> QuerySet[Case]:
    """A list's order and what each row shows (its place and topics)."""
    if order == "deadline":
        # Cases without a deadline (closed, refused) last on every database: PostgreSQL sorts
        # NULLs last by default, SQLite first.
        qs = qs.order_by(F("next_deadline_at").asc(nulls_last=True), "-detected_at", "-id")
    else:
        qs = qs.order_by("-detected_at", "-id")
    return qs.select_related("place__parent").prefetch_related("topics")


def case_get(actor: Actor, case_id: int) -> Case:
    """A case the actor may see, or NotFound (existence does not leak across departments)."""
    case = cases_visible_to(actor).select_related("administration", "place", "repeat_of").filter(pk=case_id).first()
    if case is None:
        raise NotFound("Обращение не найдено.")
    return case


def case_detail(actor: Actor, case_id: int) -> Case:
    """The case with its topics, messages, assignments, drafts (with their attachments), stages,
    events and attachments loaded, as ``prefetch_related`` would leave them (``case.drafts.all()``
    runs no query), each related row with the people and departments it names.

    The case comes through the actor's visibility; what hangs on it is read by ``_load_case``. The
    case's administration is the actor's own object (the same row: visibility starts from it), so
    its calendar is built once a request."""
    case = (
        cases_visible_to(actor)
        .filter(pk=case_id)
        .select_related("place__parent", "repeat_of", "detected_by")
        .order_by()
        .first()
    )
    if case is None:
        raise NotFound("Обращение не найдено.")
    case.administration = actor.administration
    _load_case(case)
    return case


def _load_case(case: Case) -> None:
    """Read what the case page shows of ``case`` by plain queries, one a table.

    ``prefetch_related`` with ``select_related`` did the same in seven queries, but the ORM spent
    about 1 ms of CPU building each one (their SQL took 0.1 ms), and its prefetch machinery more:
    the case page's largest cost (8.8 of its 28 ms; 4.9 ms now). These queries read the same rows
    in the same order (``ORDER BY`` as the ORM wrote it); the people and departments they name
    come in one query each. ``tests/integration/test_case_page.py`` holds the result to what
    ``prefetch_related`` gives."""
    from django.contrib.auth import get_user_model

    from otklik.organization.models import ApiToken, Department, Topic

    from .models import Attachment

    User = get_user_model()
    pk = case.pk

    def rows(model: type[models.Model], order: str) -> list[Any]:
        return objects(model, f"WHERE {name('case_id')} = %s ORDER BY {order}", [pk])

    topics = objects(
        Topic,
        f"INNER JOIN {table(Case.topics.through)} ct ON ct.{name('topic_id')} = t.{name('id')}"
        f" WHERE ct.{name('case_id')} = %s ORDER BY t.{name('name')} ASC",
        [pk],
    )
    messages = rows(Message, f"{name('published_at')} ASC, {name('id')} ASC")
    assignments = rows(Assignment, f"{name('order')} ASC")
    drafts = rows(Draft, f"{name('version')} ASC")
    attachments = rows(Attachment, f"{name('id')} ASC")
    stages = rows(Stage, f"{name('started_at')} ASC, {name('id')} ASC")
    events = rows(CaseEvent, f"{name('at')} ASC, {name('id')} ASC")

    user_ids = {
        *(m.brought_by_id for m in messages),
        *(a.assignee_id for a in assignments),
        *(d.author_id for d in drafts),
        *(d.reviewed_by_id for d in drafts),
        *(e.actor_id for e in events),
    } - {None}
    department_ids = ({a.department_id for a in assignments} | {s.department_id for s in stages}) - {None}
    token_ids = {m.brought_by_token_id for m in messages} - {None}

    def by_id(model: type[models.Model], ids: set[Any]) -> dict[Any, Any]:
        if not ids:
            return {}
        marks = ", ".join(["%s"] * len(ids))
        return {obj.pk: obj for obj in objects(model, f"WHERE {name('id')} IN ({marks})", sorted(ids))}

    people = by_id(User, user_ids)
    departments = by_id(Department, department_ids)
    tokens = by_id(ApiToken, token_ids)

    def hang(objs: list[Any], field: str, found: dict[Any, Any]) -> None:
        for obj in objs:
            obj._state.fields_cache[field] = found.get(getattr(obj, f"{field}_id"))

    hang(messages, "brought_by", people)
    hang(messages, "brought_by_token", tokens)
    hang(assignments, "department", departments)
    hang(assignments, "assignee", people)
    hang(drafts, "author", people)
    hang(drafts, "reviewed_by", people)
    hang(stages, "department", departments)
    hang(events, "actor", people)
    hang(attachments, "draft", {d.pk: d for d in drafts})
    for obj in (*messages, *assignments, *drafts, *attachments, *stages, *events):
        obj._state.fields_cache["case"] = case
    by_draft: dict[int, list[Any]] = {}
    for a in attachments:
        if a.draft_id is not None:
            by_draft.setdefault(a.draft_id, []).append(a)
    for d in drafts:
        _prefetched(d, "attachments", by_draft.get(d.pk, []))
    for relation, objs in (
        ("topics", topics),
        ("messages", messages),
        ("assignments", assignments),
        ("drafts", drafts),
        ("attachments", attachments),
        ("stages", stages),
        ("events", events),
    ):
        _prefetched(case, relation, objs)


def _prefetched(obj: models.Model, name: str, objs: list[Any]) -> None:
    """Leave ``objs`` where ``obj.<name>.all()`` finds them, as ``prefetch_related`` does: in the
    related manager's own queryset, so that a further ``filter()`` still asks the database."""
    qs = getattr(obj, name).get_queryset()
    qs._result_cache = objs
    qs._prefetch_done = True
    obj.__dict__.setdefault("_prefetched_objects_cache", {})[name] = qs


def inbox_messages(actor: Actor, *, status: str = Message.Status.NEW) -> QuerySet[Message]:
    """The curator's inbox: new messages of the administration, newest first."""
    if not actor.is_curator and not actor.is_head:
        return Message.objects.none()
    return (
        Message.objects.filter(administration=actor.administration, status=status)
        .select_related("source")
        .order_by("-received_at", "-id")
    )


def message_get(actor: Actor, message_id: int) -> Message:
    msg = (
        Message.objects.filter(administration=actor.administration, pk=message_id)
        .select_related("source", "case", "brought_by", "brought_by_token")
        .first()
    )
    if msg is None:
        raise NotFound("Сообщение не найдено.")
    if not actor.sees_everything:
        if msg.case_id is None or not cases_visible_to(actor).filter(pk=msg.case_id).exists():
            raise NotFound("Сообщение не найдено.")
    return msg


def first_messages(case_ids: list[int]) -> dict[int, Message]:
    """The first message of each case (what a list shows of it), in one query."""
    firsts = Message.objects.filter(case_id__in=case_ids).values("case_id").annotate(first=Min("id"))
    return {m.case_id: m for m in Message.objects.filter(pk__in=[row["first"] for row in firsts])}  # type: ignore[misc]


def review_queue(actor: Actor) -> QuerySet[Draft]:
    if not actor.is_curator:
        return Draft.objects.none()
    return (
        Draft.objects.filter(case__administration=actor.administration, status=Draft.Status.REVIEW)
        .select_related("case", "department", "author")
        .order_by("submitted_at", "id")
    )
