"""API tokens: issued by each person for themselves (UI, ``otklik token create``, the admin).

A token is ``otk_`` and 43 random characters. Its plain value is returned once, at issue, and only
its SHA-256 is stored (the value has 256 bits of entropy, so a fast hash is enough and a lookup by
hash stays one index probe). A token has an expiry, records when it was last used (at most once a
minute, not on every request) and can be revoked; a revoked or expired token authenticates nobody.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from otklik.core.errors import NotFound, ValidationFailed

from .models import ApiToken

if TYPE_CHECKING:
    from django.contrib.auth.models import User

PREFIX = "otk_"
MAX_ACTIVE_PER_PERSON = 20
LAST_USED_GRANULARITY = dt.timedelta(minutes=1)


class TokenExpired(NotFound):
    """The token exists but its time is up: the caller is told so (it needs a new one)."""


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str  # shown once, never stored


def api_token_issue(*, user: User, name: str, days: int | None = None, now: dt.datetime | None = None) -> IssuedToken:
    """Issue a token for ``user``; the plain value is in the result and nowhere else."""
    now = now or timezone.now()
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed("Назовите токен: для какой системы он выпускается.", field="name")
    days = settings.OTKLIK_API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= settings.OTKLIK_API_TOKEN_MAX_DAYS:
        raise ValidationFailed(f"Срок действия — от 1 до {settings.OTKLIK_API_TOKEN_MAX_DAYS} дней.", field="days")
    if active_tokens(user, now=now).count() >= MAX_ACTIVE_PER_PERSON:
        raise ValidationFailed(
            f"У вас уже {MAX_ACTIVE_PER_PERSON} действующих токенов: отзовите ненужные.", field="name"
        )
    token = ApiToken(user=user, name=name[:128], created_at=now, expires_at=now + dt.timedelta(days=days))
    raw = api_token_save_new(token)
    return IssuedToken(token=token, raw=raw)


def api_token_save_new(token: ApiToken) -> str:
    """Give a new (unsaved) token its secret and save it; return the plain value, shown once.

    The admin's add form comes here too, so that no token is ever stored without its hash.
    """
    for _attempt in range(3):
        raw = PREFIX + secrets.token_urlsafe(32)
        token.key_hash = token_hash(raw)
        token.prefix = raw[len(PREFIX) : len(PREFIX) + 8]
        try:
            with transaction.atomic():
                token.save(force_insert=True)
        except IntegrityError:  # a clash of 256-bit values: only a broken random source
            token.pk = None
            continue
        return raw
    raise RuntimeError("could not issue a unique API token")


def api_token_create(*, user: User, name: str, days: int | None = None) -> str:
    """Issue a token and return only its plain value (for tests and scripts)."""
    return api_token_issue(user=user, name=name, days=days).raw


def api_token_authenticate(raw: str, *, now: dt.datetime | None = None) -> ApiToken:
    """The token with this plain value, if it is active and not expired; its use is recorded."""
    now = now or timezone.now()
    if not raw.startswith(PREFIX) or len(raw) > 128:
        raise NotFound("Токен не найден.")
    token = ApiToken.objects.filter(key_hash=token_hash(raw)).select_related("user").first()
    if token is None or not token.is_active or token.revoked_at is not None or not token.user.is_active:
        raise NotFound("Токен не найден.")
    if token.expires_at <= now:
        raise TokenExpired("Срок действия токена истёк: выпустите новый.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_token_revoke(*, token: ApiToken, by: User | None, now: dt.datetime | None = None) -> ApiToken:
    """Revoke a token (kept, for the record of who used what); revoking twice changes nothing."""
    now = now or timezone.now()
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            is_active=False, revoked_at=now, revoked_by=by
        )
        token.refresh_from_db()
    return token


def own_token(user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound("Токен не найден.")
    return token


def active_tokens(user: User, *, now: dt.datetime | None = None):  # type: ignore[no-untyped-def]
    now = now or timezone.now()
    return ApiToken.objects.filter(user=user, is_active=True, revoked_at__isnull=True, expires_at__gt=now)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
