"""Who may call the API, and how often.

- ``TokenAuth``: ``Authorization: Bearer otk_…`` (``organization.tokens``): active, unexpired
  tokens only. Failed token checks are counted per client address; past
  ``OTKLIK_API_AUTH_FAILURE_RATE`` the address gets 429 instead of 401 for a while.
- ``VerifiedSessionAuth``: the UI's session, but not one still waiting for its second factor.
- ``ApiRateThrottle``: ``OTKLIK_API_RATE`` requests per token (or per person, for a session), and
  ``OTKLIK_API_WRITE_RATE`` writes among them; an empty rate turns that limit off. Counters live in
  Django's cache (Redis in production, so every worker process shares them) in fixed windows:
  ``cache.add`` + ``cache.incr`` are atomic there, so concurrent requests cannot overrun a limit.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.errors import Throttled
from ninja.security import HttpBearer, SessionAuth
from ninja.throttling import BaseThrottle

from otklik.core.errors import NotFound
from otklik.organization.tokens import TokenExpired, api_token_authenticate
from otklik.security import twofactor
from otklik.security.network import client_ip

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'120/m' → (120, 60); '10/5s' → (10, 5)."""
    count, _, per = rate.strip().partition("/")
    unit = per[-1:] if per[-1:] in _PERIODS else "s"
    multiple = per[:-1] if per[-1:] in _PERIODS else per
    return int(count), int(multiple or 1) * _PERIODS[unit]


def rate_hit(key: str, rate: str, *, now: float | None = None) -> float | None:
    """Count one request under ``key``; the seconds to wait when it is over ``rate``, else None."""
    if not rate:
        return None
    limit, period = parse_rate(rate)
    now = time.time() if now is None else now
    window = int(now // period)
    cache_key = f"api-rate:{key}:{period}:{window}"
    if cache.add(cache_key, 1, timeout=period + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # the window's counter expired between add and incr
            cache.add(cache_key, 1, timeout=period + 1)
            count = 1
    if count > limit:
        return max(1.0, period - (now % period))
    return None


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            api_token = api_token_authenticate(token)
        except NotFound as exc:
            if isinstance(exc, TokenExpired):
                request.otklik_auth_detail = exc.message  # type: ignore[attr-defined]
            wait = rate_hit(f"auth-fail:{client_ip(request)}", settings.OTKLIK_API_AUTH_FAILURE_RATE)
            if wait is not None:
                raise Throttled(wait=math.ceil(wait)) from exc
            return None
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.user


class VerifiedSessionAuth(SessionAuth):
    """The session of a signed-in person who has given their second factor (when they owe one)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None and twofactor.pending(request):
            request.otklik_auth_detail = "Подтвердите вход кодом второго фактора."  # type: ignore[attr-defined]
            return None
        return user


class ApiRateThrottle(BaseThrottle):
    """Per token, else per person; writes are counted twice: among all requests and among writes."""

    def __init__(self) -> None:
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        api_token = getattr(request, "api_token", None)
        if api_token is not None:
            ident = f"token:{api_token.pk}:{api_token.prefix}"
        elif getattr(request, "user", None) is not None and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{client_ip(request)}"
        waits = [rate_hit(f"all:{ident}", settings.OTKLIK_API_RATE)]
        if request.method not in SAFE_METHODS:
            waits.append(rate_hit(f"write:{ident}", settings.OTKLIK_API_WRITE_RATE))
        over = [w for w in waits if w is not None]
        self._local.wait = max(over) if over else None
        return not over

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
