"""Shared fixtures: one administration (the Gazimuro-Zavodsky okrug) with a person for each role."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pytest

CHITA = ZoneInfo("Asia/Chita")

if os.environ.get("CI") and "postgres" in os.environ.get("OTKLIK_DATABASE_URL", ""):
    os.environ.setdefault("OTKLIK_REQUIRE_SERVERS", "1")


def chita(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHITA)  # type: ignore[misc]


@dataclass
class Org:
    adm: Any
    depts: dict[str, Any]
    users: dict[str, Any]
    topics: dict[str, Any] = field(default_factory=dict)
    places: dict[str, Any] = field(default_factory=dict)

    def actor(self, name: str) -> Any:
        from otklik.organization.services import actor_for

        return actor_for(self.users[name], self.adm)


def make_org(slug: str = "gz", name: str = "Администрация Газимуро-Заводского муниципального округа") -> Org:
    from django.contrib.auth.models import User

    from otklik.organization.models import Administration, Department, Membership, Place, Role, Topic

    adm = Administration.objects.create(slug=slug, name=name)
    depts = {
        key: Department.objects.create(administration=adm, name=title, short_name=short)
        for key, title, short in (
            ("zhkh", "Отдел ЖКХ, строительства и транспорта", "ЖКХ"),
            ("roads", "Отдел дорожного хозяйства", "Дороги"),
            ("edu", "Управление образования", "Образование"),
        )
    }

    def user(username: str, first: str, last: str) -> User:
        return User.objects.create_user(f"{slug}-{username}", password="pass12345", first_name=first, last_name=last)

    users = {
        "head": user("head", "Василий", "Главин"),
        "responsible": user("responsible", "Ольга", "Ответова"),
        "curator": user("curator", "Мария", "Кураторова"),
        "zhkh": user("zhkh", "Иван", "Трубин"),
        "zhkh2": user("zhkh2", "Пётр", "Запасов"),
        "roads": user("roads", "Сергей", "Дорогин"),
        "edu": user("edu", "Анна", "Школьная"),
        "zhkh_head": user("zhkh_head", "Николай", "Начальников"),
        "admin": user("admin", "Алла", "Админова"),
    }
    Membership.objects.create(user=users["head"], administration=adm, role=Role.HEAD)
    Membership.objects.create(user=users["responsible"], administration=adm, role=Role.RESPONSIBLE)
    Membership.objects.create(user=users["curator"], administration=adm, role=Role.CURATOR)
    Membership.objects.create(user=users["admin"], administration=adm, role=Role.ADMIN)
    for key, dept in (("zhkh", "zhkh"), ("zhkh2", "zhkh"), ("roads", "roads"), ("edu", "edu")):
        Membership.objects.create(user=users[key], administration=adm, role=Role.EXECUTOR, department=depts[dept])
    Membership.objects.create(
        user=users["zhkh_head"], administration=adm, role=Role.DEPARTMENT_HEAD, department=depts["zhkh"]
    )
    topics = {
        code: Topic.objects.create(administration=adm, code=code, name=title)
        for code, title in (("zhkh", "ЖКХ"), ("roads", "Дороги"), ("education", "Образование"))
    }
    places = {
        "gz": Place.objects.create(administration=adm, name="Газимурский Завод"),
        "shirokaya": Place.objects.create(administration=adm, name="Широкая"),
    }
    return Org(adm=adm, depts=depts, users=users, topics=topics, places=places)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters (Django's cache) start empty in every test."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """Every test starts in the default language (Russian): a test that switched to English must
    not leave it to the next one in the same process (texts made outside a request, such as
    notifications written by a task, are in the active language)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def org(db: Any) -> Org:
    return make_org()


@pytest.fixture
def other_org(db: Any) -> Org:
    return make_org("other", "Администрация соседнего округа")
