"""Who is on the other end: the client's address, for login throttling and API limits.

``REMOTE_ADDR`` unless ``OTKLIK_TRUSTED_PROXY_COUNT`` says the site sits behind that many reverse
proxies, each appending the address it saw to ``X-Forwarded-For``: then the address the outermost
trusted proxy saw is taken (counted from the right, where a client cannot write). A header sent
by a client directly is never believed.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = str(request.META.get("REMOTE_ADDR") or "")
    proxies = int(getattr(settings, "OTKLIK_TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies <= 0:
        return remote
    forwarded = [a.strip() for a in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if a.strip()]
    if not forwarded:
        return remote
    return forwarded[-min(proxies, len(forwarded))]
