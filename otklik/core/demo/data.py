"""The demo administration as data: the Gazimuro-Zavodsky okrug, its departments and official pages,
a person for each role, an absence with a substitute, and the sources pointing at the local fake
networks (the messages are in ``messages.py``; ``builder.py`` writes all of it to the database).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from otklik.inbox.models import Source
from otklik.organization.models import Absence, Place, Role

# Every demo user's password (also the superuser ``admin`` the demo creates when there is none).
PASSWORD = "otklik"

ADMINISTRATION = {
    "slug": "gazzavod",
    "name": "Администрация Газимуро-Заводского муниципального округа",
    "timezone": "Asia/Chita",
    "website": "https://gazzavod.75.ru",
}
EMAIL_DOMAIN = "gazzavod.local"
ADMIN_FIRST_NAME = "Администратор"

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

OFFICIAL_ACCOUNTS = [
    # department key, network, title, url
    ("zhkh", "vk", "Отдел ЖКХ Газимуро-Заводского округа", "https://vk.com/gz_zhkh"),
    ("edu", "vk", "Комитет образования Газимуро-Заводского округа", "https://vk.com/gz_edu"),
    ("roads", "ok", "Дороги Газимуро-Заводского округа", "https://ok.ru/group/gz_roads"),
    ("go", "telegram", "ЕДДС Газимуро-Заводского округа", "https://t.me/gz_edds"),
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


@dataclass(frozen=True)
class AbsenceSpec:
    user: str
    substitute: str
    reason: str
    starts_in: dt.timedelta
    ends_in: dt.timedelta
    note: str


# An absence two weeks ahead, so that the substitute (П.7.2) shows on the calendar of absences.
ABSENCE = AbsenceSpec(
    user="executor-zhkh",
    substitute="executor-zhkh2",
    reason=Absence.Reason.TRIP,
    starts_in=dt.timedelta(days=14),
    ends_in=dt.timedelta(days=18),
    note="Командировка в Читу",
)

# The gazetteer's kinds of place (otklik/triage/engine/data/gazetteer.toml) as the model's kinds.
PLACE_KINDS = {
    "okrug": Place.Kind.SETTLEMENT,
    "selo": Place.Kind.SETTLEMENT,
    "poselok": Place.Kind.SETTLEMENT,
    "street": Place.Kind.STREET,
    "object": Place.Kind.OBJECT,
}

# Ready answers the executors start from (issue 13 §6): department key, topic code, title, text.
ANSWER_TEMPLATES = [
    (
        "zhkh",
        "heating",
        "Отопление: бригада направлена",
        "Здравствуйте, {автор}! По обращению № {номер} ({место}) специалисты теплоснабжающей организации "
        "выехали на место {дата}. Температуру теплоносителя проверят и доведут до нормы. Отдел ЖКХ.",
    ),
    (
        "zhkh",
        "water",
        "Водоснабжение: сроки восстановления",
        "Здравствуйте! По обращению № {номер}: подача воды в {место} будет восстановлена после ремонта "
        "сети. Ход работ держим на контроле до {срок}.",
    ),
    (
        "roads",
        "roads",
        "Дороги: работы включены в план",
        "Здравствуйте! Участок дороги ({место}) осмотрен по обращению № {номер}. Ямочный ремонт включён в "
        "план работ дорожного отдела; о сроках сообщим дополнительно.",
    ),
]

# The sources, each pointing at its fake network on 127.0.0.1 (``make run`` starts the fakes).
SOURCES: dict[str, dict[str, Any]] = {
    "vk": {
        "name": "ВКонтакте: сообщества округа",
        "kind": Source.Kind.VK,
        "network": "vk",
        "token": "demo-vk-token",
        "base_url": "http://127.0.0.1:8081/method",
        "poll_interval": 120,
        "config": {
            "group_ids": [1001],
            "keywords": ["Газимурский Завод"],
            "demo_fake_port": 8081,
            "demo_fake_module": "otklik.sources.vk.fake",
        },
    },
    "telegram": {
        "name": "Telegram: чат «Газзавод онлайн»",
        "kind": Source.Kind.TELEGRAM,
        "network": "telegram",
        "token": "123456:demo",
        "base_url": "http://127.0.0.1:8082",
        "poll_interval": 60,
        "config": {"demo_fake_port": 8082, "demo_fake_module": "otklik.sources.telegram.fake"},
    },
    "ok": {
        "name": "Одноклассники: группа «Газимурский Завод»",
        "kind": Source.Kind.OK,
        "network": "ok",
        "base_url": "http://127.0.0.1:8083/fb.do",
        "poll_interval": 300,
        "config": {
            "application_key": "DEMOAPPKEY",
            "application_secret_key": "demo-secret",
            "access_token": "demo-ok-token",
            "group_ids": ["5500000001"],
            "demo_fake_port": 8083,
            "demo_fake_module": "otklik.sources.ok.fake",
        },
    },
    "max": {
        # The MAX fake's demo data (otklik.sources.max.fake.seed_demo): a residents' chat and the
        # administration's channel, whose post residents comment on.
        "name": "MAX: чат жителей и канал администрации",
        "kind": Source.Kind.MAX,
        "network": "max",
        "token": "demo-max",
        "base_url": "http://127.0.0.1:8085",
        "poll_interval": 60,
        "config": {
            "chat_ids": [-70000000001],
            "channel_ids": [-70000000002],
            "demo_fake_port": 8085,
            "demo_fake_module": "otklik.sources.max.fake",
        },
    },
    "feed": {
        "name": "Форум «Забайкалье»: Газимуро-Заводский округ",
        "kind": Source.Kind.FEED,
        "network": "forum",
        "poll_interval": 600,
        "config": {
            "url": "http://127.0.0.1:8084/rss",
            "demo_fake_port": 8084,
            "demo_fake_module": "otklik.sources.feeds.fake",
        },
    },
}
