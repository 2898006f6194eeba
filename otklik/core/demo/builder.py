"""The demo's builder: writes the administration of ``data.py`` and takes every message of
``messages.py`` through the real actions, at past times, to its scenario's state — so deadlines,
stage facts and the audit trail are all genuine.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import tomllib
import zlib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from otklik.cases import actions
from otklik.cases.actions import RouteTarget, TriageData
from otklik.cases.models import AnswerTemplate
from otklik.domain.messages import IncomingMessage
from otklik.inbox.actions import message_ingest_batch
from otklik.inbox.models import Message, Source
from otklik.organization.models import (
    Absence,
    Administration,
    Department,
    Membership,
    OfficialAccount,
    Place,
    Role,
    Topic,
)
from otklik.organization.services import Actor, actor_for

from . import messages as texts
from .data import (
    ABSENCE,
    ADMIN_FIRST_NAME,
    ADMINISTRATION,
    ANSWER_TEMPLATES,
    DEPARTMENTS,
    EMAIL_DOMAIN,
    OFFICIAL_ACCOUNTS,
    PASSWORD,
    PEOPLE,
    PLACE_KINDS,
    SOURCES,
)
from .messages import MESSAGES


def _data(name: str) -> dict[str, Any]:
    try:
        text = resources.files("otklik.triage.engine").joinpath("data", name).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return {}
    return tomllib.loads(text)


@dataclass
class Demo:
    adm: Administration
    depts: dict[str, Department]
    topics: dict[str, Topic]
    places: dict[str, Place]
    actors: dict[str, Actor]
    sources: dict[str, Source]


def build_organisation() -> Demo:
    adm = Administration.objects.create(**ADMINISTRATION)
    topics: dict[str, Topic] = {}
    for rec in _data("rubric.toml").get("topic", []):
        keywords = ", ".join(f"{k}={v}" for k, v in (rec.get("keywords") or {}).items())
        topics[rec["code"]] = Topic.objects.create(
            administration=adm, code=rec["code"], name=rec["name"], keywords=keywords
        )
    places: dict[str, Place] = {}
    for rec in _data("gazetteer.toml").get("place", []):
        parent = places.get(rec.get("parent", ""))
        places[rec["name"]] = Place.objects.create(
            administration=adm,
            name=rec["name"],
            kind=PLACE_KINDS.get(rec.get("kind", ""), Place.Kind.SETTLEMENT),
            parent=parent,
            aliases=", ".join(rec.get("aliases", [])),
        )
    depts: dict[str, Department] = {}
    for key, name, short, codes in DEPARTMENTS:
        dept = Department.objects.create(administration=adm, name=name, short_name=short)
        dept.topics.set([topics[c] for c in codes if c in topics])
        depts[key] = dept
    for key, network, title, url in OFFICIAL_ACCOUNTS:
        OfficialAccount.objects.create(department=depts[key], network=network, name=title, url=url)
    admin = User.objects.filter(username="admin").first() or User.objects.create_superuser(
        "admin", f"admin@{EMAIL_DOMAIN}", PASSWORD, first_name=ADMIN_FIRST_NAME
    )
    Membership.objects.create(user=admin, administration=adm, role=Role.ADMIN)
    users: dict[str, User] = {}
    for username, first, last, role, dept_key in PEOPLE:
        user = User.objects.create_user(
            username, f"{username}@{EMAIL_DOMAIN}", PASSWORD, first_name=first, last_name=last
        )
        users[username] = user
        Membership.objects.create(
            user=user, administration=adm, role=role, department=depts[dept_key] if dept_key else None
        )
    today = timezone.localdate()
    Absence.objects.create(
        administration=adm,
        user=users[ABSENCE.user],
        substitute=users[ABSENCE.substitute],
        reason=ABSENCE.reason,
        start_date=today + ABSENCE.starts_in,
        end_date=today + ABSENCE.ends_in,
        note=ABSENCE.note,
    )
    sources = {key: Source.objects.create(administration=adm, **copy.deepcopy(spec)) for key, spec in SOURCES.items()}
    for dept_key, topic_code, title, text in ANSWER_TEMPLATES:
        AnswerTemplate.objects.create(
            administration=adm, department=depts[dept_key], topic=topics.get(topic_code), title=title, text=text
        )
    actors = {u: actor_for(users[u], adm) for u in users}
    return Demo(adm=adm, depts=depts, topics=topics, places=places, actors=actors, sources=sources)


def seed_messages(demo: Demo, *, now: dt.datetime | None = None) -> int:
    """Ingest the demo messages and take each through the real workflow to its scenario's state."""
    now = now or timezone.now()
    rng = random.Random(352)
    cal = demo.adm.calendar
    curator = demo.actors["curator"]
    created = 0
    for i, (src, author, text, topic, place, depts, scenario) in enumerate(MESSAGES):
        source = demo.sources[src]
        # Ages in working hours before now: closed cases spread over the last five weeks; of the
        # cases still in work, half are fresh (their stage deadlines still ahead, whatever the
        # time of day `make run` happens at) and half are older (the board shows them overdue).
        if scenario == "new":
            start = now - dt.timedelta(minutes=rng.uniform(1, 40))
        else:
            age = {"closed": rng.uniform(10, 200), "closed_late": rng.uniform(20, 150)}.get(
                scenario, rng.uniform(0.15, 0.4) if i % 2 == 0 else rng.uniform(2.5, 8)
            )
            start = min(cal.subtract(now, dt.timedelta(hours=age)), now - dt.timedelta(minutes=5))
        ext = f"demo-{src}-{i + 1}"
        item = IncomingMessage(
            network=source.network,
            external_id=ext,
            text=text,
            url=_demo_url(src, i + 1),
            author_name=author,
            author_id=f"demo-author-{zlib.crc32(author.encode()) % 100000}",
            published_at=start - dt.timedelta(minutes=rng.randint(3, 40)),
            reply_to="",
            raw={"demo": True},
        )
        result = message_ingest_batch(source=source, items=[item], now=start)
        created += len(result.created)
        if scenario == "new" or not result.created:
            continue
        message = Message.objects.get(pk=result.created[0])
        _play(demo, message, scenario, topic, place, depts, start=start, now=now, curator=curator)
    return created


def _demo_url(src: str, n: int) -> str:
    return texts.DEMO_URLS[src].format(n=n)


def _play(
    demo: Demo,
    message: Message,
    scenario: str,
    topic: str,
    place: str,
    depts: list[str],
    *,
    start: dt.datetime,
    now: dt.datetime,
    curator: Actor,
) -> None:
    cal = demo.adm.calendar

    def at(minutes: float, base: dt.datetime | None = None) -> dt.datetime:
        t = cal.add(base or start, dt.timedelta(minutes=minutes))
        return min(t, now - dt.timedelta(seconds=30))

    triage = TriageData(
        topic_ids=[demo.topics[topic].pk] if topic in demo.topics else [],
        place_id=demo.places[place].pk if place in demo.places else None,
        importance="high" if any(w in message.text.lower() for w in texts.IMPORTANT_WORDS) else "normal",
        significant=texts.SIGNIFICANT_WORD in message.text or texts.SIGNIFICANT_WORD_ANY_CASE in message.text.lower(),
    )
    if scenario == "refused":
        case = actions.case_detect(message=message, actor=curator, now=at(3))
        actions.case_refuse(
            case=case,
            actor=curator,
            now=at(6),
            reason=texts.REFUSAL_REASON,
        )
        return
    repeat_of = None
    if scenario == "repeat":
        earlier = (
            Message.objects.filter(administration=demo.adm, text__icontains=texts.REPEAT_OF_TEXT)
            .exclude(case=None)
            .first()
        )
        repeat_of = earlier.case if earlier else None
    case = actions.case_detect(
        message=message, actor=curator, now=at(4), detected_at=at(4), triage=triage, repeat_of=repeat_of
    )
    if scenario == "triage":
        return
    targets = [RouteTarget(demo.depts[k].pk) for k in depts]
    actions.case_route(case=case, actor=curator, targets=targets, now=at(20 if scenario != "closed_late" else 75))
    if scenario == "routed":
        return
    assignments = list(case.assignments.select_related("department").order_by("order"))
    lead = assignments[-1]
    executors = {a.department_id: _executor_of(demo, a.department_id) for a in assignments}
    for a in assignments[:-1]:
        actions.case_accept(case=case, actor=executors[a.department_id], now=at(30), department_id=a.department_id)
        actions.case_contribute(
            case=case,
            actor=executors[a.department_id],
            now=at(90),
            department_id=a.department_id,
            text=texts.CONTRIBUTION.format(department=a.department.short_name),
        )
    lead_actor = executors[lead.department_id]
    actions.case_accept(case=case, actor=lead_actor, now=at(35), department_id=lead.department_id)
    if scenario == "in_work":
        return
    kind = "interim" if scenario == "interim" else "answer"
    text = _answer_text(message.text, kind)
    late = scenario == "closed_late"
    draft_at = at(600 if late else 200)
    actions.case_submit_draft(
        case=case,
        actor=lead_actor,
        kind=kind,
        text=text,
        now=draft_at,
        measures_taken=texts.REPEAT_MEASURES if repeat_of else "",
    )
    if scenario in ("review", "repeat"):
        return
    if scenario == "rework":
        actions.case_return_draft(
            case=case,
            actor=curator,
            now=at(20, draft_at),
            comment=texts.REWORK_COMMENT,
        )
        return
    actions.case_approve(case=case, actor=curator, now=at(15 if not late else 90, draft_at))
    if scenario == "approved":
        return
    case.refresh_from_db()
    if case.state == "approved":
        actions.case_publish(
            case=case,
            actor=lead_actor,
            now=at(25 if not late else 200, draft_at),
            url=message.url + "?reply=1",
            external_id=f"reply-{message.pk}",
        )


def _executor_of(demo: Demo, department_id: int) -> Actor:
    for username, actor in demo.actors.items():
        if username.startswith("executor-") and department_id in actor.department_ids:
            return actor
    raise LookupError(department_id)


def _answer_text(question: str, kind: str) -> str:
    return texts.INTERIM_ANSWER if kind == "interim" else texts.FINAL_ANSWER


@transaction.atomic
def seed_demo(*, now: dt.datetime | None = None) -> Demo:
    demo = build_organisation()
    seed_messages(demo, now=now)
    return demo
