"""Demo data for ``make run``: the Gazimuro-Zavodsky okrug with its departments, a person for each
role, the default rubric and gazetteer, sources pointing at the local fake networks, and a few
dozen realistic messages in every state of the workflow — made through the real actions, at past
times, so deadlines, stage facts and the audit trail are all genuine.
"""

from __future__ import annotations

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

PASSWORD = "otklik"

DEPARTMENTS = [
    # key, name, short, topic codes
    (
        "zhkh",
        "Отдел ЖКХ, строительства, транспорта и связи",
        "Отдел ЖКХ",
        ["heating", "water", "power", "gas", "waste", "housing", "transport", "communications", "construction"],
    ),
    ("roads", "Отдел дорожного хозяйства и благоустройства", "Дорожный отдел", ["roads", "improvement"]),
    ("edu", "Комитет образования", "Комитет образования", ["education"]),
    (
        "social",
        "Отдел социальной защиты и здравоохранения",
        "Соцзащита",
        ["social", "support", "health", "labour", "public_services"],
    ),
    ("go", "Отдел ГО и ЧС", "ГО и ЧС", ["safety", "ecology"]),
    ("agro", "Отдел сельского хозяйства", "Сельское хозяйство", ["agriculture", "animals", "property"]),
    ("culture", "Отдел культуры, спорта и молодёжной политики", "Отдел культуры", ["culture_sport", "trade"]),
]

PEOPLE = [
    # username, first, last, role, department key
    ("head", "Василий", "Березин", Role.HEAD, None),
    ("responsible", "Ольга", "Семёнова", Role.RESPONSIBLE, None),
    ("curator", "Мария", "Кузнецова", Role.CURATOR, None),
    ("executor-zhkh", "Иван", "Трубин", Role.EXECUTOR, "zhkh"),
    ("executor-zhkh2", "Пётр", "Соколов", Role.EXECUTOR, "zhkh"),
    ("head-zhkh", "Николай", "Лаптев", Role.DEPARTMENT_HEAD, "zhkh"),
    ("executor-roads", "Сергей", "Дорохов", Role.EXECUTOR, "roads"),
    ("head-roads", "Андрей", "Полозов", Role.DEPARTMENT_HEAD, "roads"),
    ("executor-edu", "Анна", "Школьникова", Role.EXECUTOR, "edu"),
    ("executor-social", "Елена", "Добрынина", Role.EXECUTOR, "social"),
    ("executor-go", "Алексей", "Спасов", Role.EXECUTOR, "go"),
    ("executor-agro", "Татьяна", "Полевая", Role.EXECUTOR, "agro"),
    ("executor-culture", "Светлана", "Песнева", Role.EXECUTOR, "culture"),
]

_KIND_MAP = {
    "okrug": Place.Kind.SETTLEMENT,
    "selo": Place.Kind.SETTLEMENT,
    "poselok": Place.Kind.SETTLEMENT,
    "street": Place.Kind.STREET,
    "object": Place.Kind.OBJECT,
}


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
    adm = Administration.objects.create(
        slug="gazzavod",
        name="Администрация Газимуро-Заводского муниципального округа",
        timezone="Asia/Chita",
        website="https://gazzavod.75.ru",
    )
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
            kind=_KIND_MAP.get(rec.get("kind", ""), Place.Kind.SETTLEMENT),
            parent=parent,
            aliases=", ".join(rec.get("aliases", [])),
        )
    depts: dict[str, Department] = {}
    for key, name, short, codes in DEPARTMENTS:
        dept = Department.objects.create(administration=adm, name=name, short_name=short)
        dept.topics.set([topics[c] for c in codes if c in topics])
        depts[key] = dept
    for key, network, title, url in (
        ("zhkh", "vk", "Отдел ЖКХ Газимуро-Заводского округа", "https://vk.com/gz_zhkh"),
        ("edu", "vk", "Комитет образования Газимуро-Заводского округа", "https://vk.com/gz_edu"),
        ("roads", "ok", "Дороги Газимуро-Заводского округа", "https://ok.ru/group/gz_roads"),
        ("go", "telegram", "ЕДДС Газимуро-Заводского округа", "https://t.me/gz_edds"),
    ):
        OfficialAccount.objects.create(department=depts[key], network=network, name=title, url=url)
    admin = User.objects.filter(username="admin").first() or User.objects.create_superuser(
        "admin", "admin@gazzavod.local", PASSWORD, first_name="Администратор"
    )
    Membership.objects.create(user=admin, administration=adm, role=Role.ADMIN)
    users: dict[str, User] = {}
    for username, first, last, role, dept_key in PEOPLE:
        user = User.objects.create_user(
            username, f"{username}@gazzavod.local", PASSWORD, first_name=first, last_name=last
        )
        users[username] = user
        Membership.objects.create(
            user=user, administration=adm, role=role, department=depts[dept_key] if dept_key else None
        )
    # The curator also heads the okrug's own page on OK in this demo: one person, several roles.
    today = timezone.localdate()
    Absence.objects.create(
        administration=adm,
        user=users["executor-zhkh"],
        substitute=users["executor-zhkh2"],
        reason=Absence.Reason.TRIP,
        start_date=today + dt.timedelta(days=14),
        end_date=today + dt.timedelta(days=18),
        note="Командировка в Читу",
    )
    sources = {
        "vk": Source.objects.create(
            administration=adm,
            name="ВКонтакте: сообщества округа",
            kind=Source.Kind.VK,
            network="vk",
            token="demo-vk-token",
            base_url="http://127.0.0.1:8081/method",
            poll_interval=120,
            config={
                "group_ids": [1001],
                "keywords": ["Газимурский Завод"],
                "demo_fake_port": 8081,
                "demo_fake_module": "otklik.sources.vk.fake",
            },
        ),
        "telegram": Source.objects.create(
            administration=adm,
            name="Telegram: чат «Газзавод онлайн»",
            kind=Source.Kind.TELEGRAM,
            network="telegram",
            token="123456:demo",
            base_url="http://127.0.0.1:8082",
            poll_interval=60,
            config={"demo_fake_port": 8082, "demo_fake_module": "otklik.sources.telegram.fake"},
        ),
        "ok": Source.objects.create(
            administration=adm,
            name="Одноклассники: группа «Газимурский Завод»",
            kind=Source.Kind.OK,
            network="ok",
            base_url="http://127.0.0.1:8083/fb.do",
            poll_interval=300,
            config={
                "application_key": "DEMOAPPKEY",
                "application_secret_key": "demo-secret",
                "access_token": "demo-ok-token",
                "group_ids": ["5500000001"],
                "demo_fake_port": 8083,
                "demo_fake_module": "otklik.sources.ok.fake",
            },
        ),
        "feed": Source.objects.create(
            administration=adm,
            name="Форум «Забайкалье»: Газимуро-Заводский округ",
            kind=Source.Kind.FEED,
            network="forum",
            poll_interval=600,
            config={
                "url": "http://127.0.0.1:8084/rss",
                "demo_fake_port": 8084,
                "demo_fake_module": "otklik.sources.feeds.fake",
            },
        ),
    }
    actors = {u: actor_for(users[u], adm) for u in users}
    return Demo(adm=adm, depts=depts, topics=topics, places=places, actors=actors, sources=sources)


# A message: (source key, author, text, topic code, place name, department keys, scenario)
MESSAGES: list[tuple[str, str, str, str, str, list[str], str]] = [
    (
        "vk",
        "Наталья Громова",
        "В школе Газимурского Завода уже третий день холодно в классах, дети сидят в куртках. Когда починят котельную?",
        "heating",
        "Газимурский Завод",
        ["zhkh", "edu"],
        "in_work",
    ),
    (
        "vk",
        "Игорь Пахомов",
        "На улице Ленина в Газимурском Заводе яма на яме, вчера пробил колесо. Дорогу вообще собираются ремонтировать?",
        "roads",
        "Газимурский Завод",
        ["roads"],
        "closed",
    ),
    (
        "ok",
        "Галина Петровна",
        "В Широкой опять нет воды, водовоз не приезжал с понедельника. Пожилым людям не на чем возить воду!",
        "water",
        "Широкая",
        ["zhkh"],
        "review",
    ),
    (
        "telegram",
        "Алексей К.",
        "Мусорные контейнеры у магазина переполнены неделю, собаки растаскивают мусор по всей улице",
        "waste",
        "Газимурский Завод",
        ["zhkh"],
        "closed_late",
    ),
    (
        "vk",
        "Ольга Смирнова",
        "Стая бездомных собак возле детского сада, дети боятся ходить. Примите меры!",
        "animals",
        "Газимурский Завод",
        ["agro"],
        "rework",
    ),
    (
        "feed",
        "forum_user_77",
        "Подскажите, когда в Кактолге восстановят уличное освещение? Темно, страшно идти с работы.",
        "improvement",
        "Кактолга",
        ["roads"],
        "approved",
    ),
    (
        "ok",
        "Виктор Иванович",
        "Автобус до Читы опять отменили без предупреждения. Как добираться до больницы?",
        "transport",
        "Газимурский Завод",
        ["zhkh"],
        "interim",
    ),
    (
        "vk",
        "Марина Лескова",
        "В ФАПе в Батакане нет фельдшера уже месяц, за любой справкой едем в район",
        "health",
        "Батакан",
        ["social"],
        "routed",
    ),
    (
        "telegram",
        "Дмитрий",
        "Отключили свет на Октябрьской улице, холодильники текут, когда дадут электричество?",
        "power",
        "Газимурский Завод",
        ["zhkh"],
        "closed",
    ),
    (
        "vk",
        "Елена Викторовна",
        "Спасибо отделу культуры за праздник в День матери, всё было очень душевно!",
        "culture_sport",
        "Газимурский Завод",
        [],
        "new",
    ),
    (
        "vk",
        "Анонимный пользователь",
        "Глава ваш вор и урод, я до него доберусь, сожгу его дом",
        "other",
        "",
        [],
        "refused",
    ),
    (
        "ok",
        "Сергей Николаевич",
        "Мост через Газимур в Ямкуне совсем разбит, машины проваливаются, скоро кто-нибудь разобьётся",
        "roads",
        "Ямкун",
        ["roads", "go"],
        "triage",
    ),
    (
        "vk",
        "Людмила Андреевна",
        "Когда будет капремонт крыши в доме по ул. Журавлёва? Течёт в подъезде каждую весну",
        "housing",
        "Газимурский Завод",
        ["zhkh"],
        "closed",
    ),
    (
        "telegram",
        "Николай",
        "В Трубачёво нет мобильной связи уже три дня, не можем вызвать скорую",
        "communications",
        "Трубачево",
        ["zhkh"],
        "in_work",
    ),
    (
        "vk",
        "Ирина Белова",
        "Опять пробили колесо на той же яме на Ленина, ничего не сделано!",
        "roads",
        "Газимурский Завод",
        ["roads"],
        "repeat",
    ),
    (
        "feed",
        "zabforum_guest",
        "В Газимурском Заводе горит сухая трава за селом, дым идёт на дома!",
        "safety",
        "Газимурский Завод",
        ["go"],
        "closed",
    ),
    (
        "ok",
        "Тамара Ильинична",
        "Пенсионерам обещали компенсацию за уголь, а выплат так и нет. Куда обращаться?",
        "social",
        "Газимурский Завод",
        ["social"],
        "routed",
    ),
    (
        "vk",
        "Павел",
        "Школьный автобус из Новоширокинского не пришёл сегодня, дети не попали на уроки",
        "education",
        "Новоширокинский",
        ["edu"],
        "review",
    ),
    ("telegram", "Аноним", "Все вы там мрази и дебилы, ничего не делаете", "other", "", [], "refused"),
    (
        "vk",
        "Ксения Орлова",
        "На детской площадке у клуба сломаны качели, торчат гвозди. Опасно для детей!",
        "improvement",
        "Газимурский Завод",
        ["roads", "culture"],
        "in_work",
    ),
    (
        "ok",
        "Василий Степанович",
        "Когда начнут принимать заявки на сенокосные участки в этом году?",
        "agriculture",
        "Батакан",
        ["agro"],
        "closed",
    ),
    (
        "vk",
        "Анна",
        "Котельная в Газимурском Заводе дымит чёрным дымом прямо на жилые дома, дышать нечем",
        "ecology",
        "Газимурский Завод",
        ["go"],
        "triage",
    ),
    (
        "telegram",
        "Олег",
        "Холодные батареи в доме на Нагорной, в квартире +14, маленький ребёнок болеет",
        "heating",
        "Газимурский Завод",
        ["zhkh"],
        "closed",
    ),
    (
        "vk",
        "Роман Ильин",
        "Почему в Игдоче до сих пор не провели интернет? Обещали ещё в прошлом году",
        "communications",
        "Игдоча",
        ["zhkh"],
        "new",
    ),
    (
        "ok",
        "Зинаида",
        "Продают просроченные продукты в магазине у остановки, куда жаловаться?",
        "trade",
        "Газимурский Завод",
        ["culture"],
        "new",
    ),
    (
        "vk",
        "Максим",
        "Когда откроют каток на стадионе? Зима давно, дети ждут",
        "culture_sport",
        "Газимурский Завод",
        ["culture"],
        "new",
    ),
    (
        "telegram",
        "Светлана",
        "Водовоз в Солонечном приезжает раз в неделю, этого мало, воды не хватает",
        "water",
        "Солонечный",
        ["zhkh"],
        "new",
    ),
    (
        "vk",
        "Георгий",
        "Снег не чистят на дороге к больнице, скорая не может проехать",
        "roads",
        "Газимурский Завод",
        ["roads"],
        "new",
    ),
    (
        "feed",
        "forum_mama",
        "Детский сад в Широкой закрыт на карантин, а родителям никто ничего не объясняет",
        "education",
        "Широкая",
        ["edu"],
        "new",
    ),
    (
        "ok",
        "Иван Кузьмич",
        "На перекрёстке у почты не горит фонарь уже месяц",
        "improvement",
        "Газимурский Завод",
        ["roads"],
        "new",
    ),
    (
        "vk",
        "Екатерина",
        "В Ушмуне нет света с утра, замерзаем, котлы электрические не работают!",
        "power",
        "Ушмун",
        ["zhkh"],
        "new",
    ),
    (
        "telegram",
        "Андрей",
        "Автобусная остановка в Кактолге разрушена, людям негде укрыться от мороза",
        "transport",
        "Кактолга",
        ["zhkh"],
        "triage",
    ),
]


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
    return {
        "vk": f"https://vk.com/wall-1001_{n}",
        "ok": f"https://ok.ru/group/5500000001/topic/{n}",
        "telegram": f"https://t.me/gazzavod_online/{n}",
        "feed": f"https://forum.zabaykalie.example/t/{n}",
    }[src]


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
        importance="high"
        if any(w in message.text.lower() for w in ("дети", "ребён", "скорая", "опасно", "замерзаем", "горит"))
        else "normal",
        significant="горит" in message.text or "мост" in message.text.lower(),
    )
    if scenario == "refused":
        case = actions.case_detect(message=message, actor=curator, now=at(3))
        actions.case_refuse(
            case=case,
            actor=curator,
            now=at(6),
            reason="Оскорбления и угрозы в адрес должностного лица (п. 19 Положения)",
        )
        return
    repeat_of = None
    if scenario == "repeat":
        earlier = (
            Message.objects.filter(administration=demo.adm, text__icontains="яма на яме").exclude(case=None).first()
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
            text=f"{a.department.short_name}: информация по своей части вопроса подготовлена, работы запланированы.",
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
        measures_taken="Яма на ул. Ленина засыпана щебнем, ямочный ремонт включён в план на весну."
        if repeat_of
        else "",
    )
    if scenario in ("review", "repeat"):
        return
    if scenario == "rework":
        actions.case_return_draft(
            case=case,
            actor=curator,
            now=at(20, draft_at),
            comment="Укажите конкретные сроки отлова и контактный телефон.",
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
    if kind == "interim":
        return (
            "Здравствуйте! Ваше сообщение получено и находится на контроле администрации округа. "
            "Направлен запрос перевозчику, окончательный ответ будет дан после его получения."
        )
    return (
        "Здравствуйте! Благодарим за обращение. Специалисты выехали на место, проблема устранена; "
        "работы на объекте взяты на контроль администрации округа. Если вопрос повторится, напишите нам."
    )


@transaction.atomic
def seed_demo(*, now: dt.datetime | None = None) -> Demo:
    demo = build_organisation()
    seed_messages(demo, now=now)
    return demo
