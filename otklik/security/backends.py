"""Login throttling: django-axes' check, in front of Django's own password check.

Axes refuses to run without the request (it counts failures per login and address). Django's test
client and our own code call ``authenticate()`` without one and are not password guessing from
the network, so such calls are simply not counted; every sign-in form passes the request.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LoginThrottleBackend(AxesStandaloneBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:  # type: ignore[override]
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
