"""Until a person who needs a second factor has given it, only the pages that ask for it open.

Runs after django-otp's ``OTPMiddleware`` (which tells whether the session is verified). A pending
person is sent to the code page (or to enrolment, when a factor is required and none is set up);
htmx requests get an ``HX-Redirect`` so that the whole page changes. The API is left to its own
authentication, which refuses unverified sessions (``otklik.api``): tokens carry no session.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from . import twofactor

OPEN_PREFIXES = ("/api/", "/i18n/", "/accounts/2fa/", "/accounts/logout/", "/accounts/login/", "/healthz")


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith((settings.STATIC_URL, *OPEN_PREFIXES)):
            return self.get_response(request)
        state = twofactor.pending(request)
        if state is None:
            return self.get_response(request)
        target = reverse("security:verify" if state == "verify" else "security:enrol")
        url = f"{target}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)
