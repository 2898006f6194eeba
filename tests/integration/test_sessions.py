"""Sessions (``otklik.security.sessions``): Django's database engine with its read as one plain
query."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from otklik.security.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_session_is_read_back_and_an_expired_one_is_not() -> None:
    """``otklik.security.sessions`` reads what Django's database engine wrote, and refuses what
    has expired or was never issued (a new, empty session, as Django's engine does)."""
    store = SessionStore()
    store["who"] = "куратор"
    store.save()
    key = store.session_key
    assert SessionStore(key).load() == {"who": "куратор"}
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    expired = SessionStore(key)
    assert expired.load() == {}
    assert expired.session_key is None  # a new key is made on save: the old one is never reused
    assert SessionStore("no-such-session-key-000000000000").load() == {}
    assert SessionStore(None).load() == {}


def test_a_signed_in_page_keeps_its_session(org: Any, client: Any) -> None:
    client.force_login(org.users["curator"])
    assert client.get("/board/").status_code == 200
    assert client.get("/board/").status_code == 200  # the same session, read back by the engine
    client.cookies["sessionid"] = "forged-key-0000000000000000000000"
    assert client.get("/board/").status_code == 302  # to the sign-in page
