"""API tokens and rate limits (issue 15 §2): issued by each person in the UI, by ``otklik token``
and in the admin; shown once, stored hashed, with an expiry, ``last_used_at`` and revocation; and
the API limited per token through Django's cache."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import uuid
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from otklik.organization.models import ApiToken
from otklik.organization.tokens import api_token_issue

pytestmark = [pytest.mark.django_db, pytest.mark.urls("config.urls")]

T0 = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)


def _api(raw: str, path: str = "/api/me", method: str = "get", **kw: Any) -> Any:
    return getattr(Client(), method)(
        path, headers={"Authorization": f"Bearer {raw}"}, content_type="application/json", **kw
    )


def test_a_person_issues_a_token_in_the_ui_and_sees_it_once(org: Any) -> None:
    client = Client()
    client.force_login(org.users["curator"])
    response = client.post(reverse("security:tokens"), {"name": "Мониторинг ЦУР", "days": "30"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = re.search(r"otk_[A-Za-z0-9_-]{43}", response.content.decode()).group(0)  # type: ignore[union-attr]
    token = ApiToken.objects.get(user=org.users["curator"])
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(list(ApiToken.objects.values()))  # only the hash is stored
    assert token.prefix == raw[4:12] and token.name == "Мониторинг ЦУР"
    assert token.expires_at - token.created_at == dt.timedelta(days=30)
    # The list shows it by its start, never the value again.
    page = client.get(reverse("security:tokens")).content.decode()
    assert f"otk_{token.prefix}…" in page and raw not in page
    assert _api(raw).json()["username"] == "gz-curator"


def test_a_token_records_its_use_expires_and_can_be_revoked(org: Any) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        issued = api_token_issue(user=org.users["zhkh"], name="Интеграция", days=7)
        assert issued.token.last_used_at is None
        assert _api(issued.raw).status_code == 200
        issued.token.refresh_from_db()
        assert issued.token.last_used_at == T0
        clock.shift(dt.timedelta(days=7, seconds=1))
        expired = _api(issued.raw)
        assert expired.status_code == 401
        assert "истёк" in expired.json()["detail"]

        other = api_token_issue(user=org.users["zhkh"], name="Другая система")
        client = Client()
        client.force_login(org.users["zhkh"])
        client.post(reverse("security:token_revoke", args=[other.token.pk]))
        other.token.refresh_from_db()
        assert other.token.revoked_at == T0 + dt.timedelta(days=7, seconds=1)
        assert other.token.revoked_by == org.users["zhkh"] and not other.token.is_active
        assert _api(other.raw).status_code == 401
        # Nobody revokes another person's token.
        third = api_token_issue(user=org.users["roads"], name="Чужой")
        client.post(reverse("security:token_revoke", args=[third.token.pk]))
        assert _api(third.raw).status_code == 200


def test_the_command_line_issues_lists_and_revokes(org: Any) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("token", "create", "--user", "gz-head", "--name", "Выгрузка", "--days", "10", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert re.fullmatch(r"otk_[A-Za-z0-9_-]{43}", raw)  # alone on stdout, for scripts
    assert "больше он показан не будет" in err.getvalue()
    assert _api(raw).json()["username"] == "gz-head"
    listing = io.StringIO()
    call_command("token", "list", stdout=listing)
    assert f"otk_{raw[4:12]}…" in listing.getvalue() and raw not in listing.getvalue()
    # The form the list shows (otk_…): a bare prefix may begin with «-», which reads as an option.
    call_command("token", "revoke", f"otk_{raw[4:12]}…", stderr=io.StringIO())
    assert _api(raw).status_code == 401


def test_the_admin_issues_a_token_with_its_hash_and_a_second_one_is_no_error(org: Any) -> None:
    """The audit: a token added in the admin was saved with an empty hash; a second gave 500."""
    admin = User.objects.create_superuser("root", password="x-Strong-pass-2026")
    client = Client()
    client.force_login(admin)
    url = reverse("admin:organization_apitoken_add")
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).strftime("%Y-%m-%d")
    for n in (1, 2):
        response = client.post(
            url,
            {
                "user": org.users["curator"].pk,
                "name": f"Из админки {n}",
                "expires_at_0": expires,
                "expires_at_1": "10:00:00",
            },
            follow=True,
        )
        assert response.status_code == 200
        raw = re.search(r"otk_[A-Za-z0-9_-]{43}", response.content.decode()).group(0)  # type: ignore[union-attr]
        assert _api(raw).status_code == 200
    hashes = list(ApiToken.objects.values_list("key_hash", flat=True))
    assert len(hashes) == 2 and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes)
    # The admin revokes but never deletes.
    token = ApiToken.objects.first()
    assert (
        client.post(reverse("admin:organization_apitoken_delete", args=[token.pk]), {"post": "yes"}).status_code == 403
    )


def test_a_token_without_a_hash_cannot_be_stored(org: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.create(user=org.users["curator"], name="x", key_hash="", prefix="", expires_at=T0)


def test_requests_are_limited_per_token(org: Any, settings: Any) -> None:
    settings.OTKLIK_API_RATE = "5/m"
    with time_machine.travel(T0, tick=False):
        first = api_token_issue(user=org.users["curator"], name="A").raw
        second = api_token_issue(user=org.users["curator"], name="B").raw
        assert [_api(first).status_code for _ in range(5)] == [200] * 5
        limited = _api(first)
        assert limited.status_code == 429
        assert int(limited["Retry-After"]) == 60
        assert "Слишком много запросов" in limited.json()["detail"]
        assert _api(second).status_code == 200  # another token has its own count
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        assert _api(first).status_code == 200  # a new window


def test_writes_have_a_lower_limit_of_their_own(org: Any, settings: Any) -> None:
    settings.OTKLIK_API_WRITE_RATE = "2/m"
    raw = api_token_issue(user=org.users["curator"], name="A").raw
    with time_machine.travel(T0, tick=False):
        statuses = [_api(raw, "/api/messages/", "post", data={"messages": []}).status_code for _ in range(3)]
        assert statuses[-1] == 429 and 429 not in statuses[:2]
        assert _api(raw).status_code == 200  # reads go on


def test_the_ui_session_is_limited_per_person(org: Any, settings: Any) -> None:
    settings.OTKLIK_API_RATE = "3/m"
    with time_machine.travel(T0, tick=False):
        client = Client()
        client.force_login(org.users["head"])
        assert [client.get("/api/me").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_guessing_tokens_is_throttled_per_address(org: Any, settings: Any) -> None:
    settings.OTKLIK_API_AUTH_FAILURE_RATE = "3/m"
    with time_machine.travel(T0, tick=False):
        statuses = [_api(f"otk_guess{i:039d}").status_code for i in range(4)]
        assert statuses == [401, 401, 401, 429]
        assert (
            Client(REMOTE_ADDR="198.51.100.8").get("/api/me", headers={"Authorization": "Bearer otk_x"}).status_code
            == 401
        )


def test_the_default_limits_are_on(settings: Any) -> None:
    from config.settings import base

    assert base.OTKLIK_API_RATE == "600/m" and base.OTKLIK_API_WRITE_RATE == "120/m"
    assert base.OTKLIK_API_AUTH_FAILURE_RATE == "30/m"


@pytest.mark.skipif(
    not os.environ.get("OTKLIK_BROKER_URL", "").startswith("redis://"), reason="the Redis of the PostgreSQL run"
)
def test_limits_are_counted_atomically_in_redis_across_connections(settings: Any) -> None:
    """In production the cache is Redis: every worker process sees one counter, and concurrent
    requests cannot overrun the limit (add + incr are atomic there)."""
    from concurrent.futures import ThreadPoolExecutor

    from otklik.api.security import rate_hit

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["OTKLIK_BROKER_URL"],
            "KEY_PREFIX": f"otklik-test-{uuid.uuid4().hex}",
        }
    }
    from django.core.cache import caches

    assert type(caches["default"]).__name__ == "RedisCache"
    now = T0.timestamp()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: rate_hit("token:1", "25/m", now=now), range(40)))
    assert sum(r is not None for r in results) == 15
