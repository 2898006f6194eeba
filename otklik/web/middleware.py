"""Per-request context of the web UI: who the actor is and the administration's time zone.

``request.actor`` is the ``Actor`` of the signed-in person (or None), and Django's current time
zone is the administration's (Asia/Chita for the first customer), so templates show local times
while everything is stored in UTC. The interface is Russian first: the browser's
Accept-Language is not followed; English is shown only after the person picks it (the language
cookie set by the switch in the top bar).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation

from otklik.core.errors import PermissionDenied
from otklik.organization.services import Actor, actor_for, administrations_of

SESSION_ADMINISTRATION = "otklik_administration"

log = logging.getLogger("django.request")


def resolve_actor(request: HttpRequest) -> Actor | None:
    """The actor for the signed-in user; with several administrations, the chosen (or first) one."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    chosen = request.session.get(SESSION_ADMINISTRATION) if hasattr(request, "session") else None
    try:
        return actor_for(user, chosen or None)
    except PermissionDenied:
        pass
    administrations = administrations_of(user)
    if not administrations:
        return None
    try:
        return actor_for(user, administrations[0])
    except PermissionDenied:
        return None


class ActorTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        actor = None
        if not request.path.startswith(("/static/", "/api/")):
            actor = resolve_actor(request)
        request.actor = actor  # type: ignore[attr-defined]
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE  # type: ignore[attr-defined]
        if actor is not None:
            try:
                timezone.activate(ZoneInfo(actor.administration.timezone))
            except (KeyError, ValueError):
                timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class ErrorPagesMiddleware:
    """The Russian 400, 403, 404 and 500 pages in every mode, DEBUG included.

    With ``DEBUG = False`` Django renders ``400.html``, ``403.html``, ``404.html``, ``500.html``
    (and ``403_csrf.html`` for a stale form) itself. With ``DEBUG = True`` (``make run``) it would
    show its English debug pages with the URL list and the traceback; a person must never see
    those: a 404 answer in HTML becomes ``404.html``, a suspicious request ``400.html`` and any
    other exception of a view ``500.html`` (the traceback still goes to the log, as in
    production). ``/api/`` answers JSON of its own and ``/static/`` is not a page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and _is_page(request)
            and response.get("Content-Type", "").startswith("text/html")
            and not getattr(response, "otklik_error_page", False)
        ):
            return _error_page(request, "404.html", 404)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not settings.DEBUG or not _is_page(request):
            return None
        if isinstance(exception, Http404):
            return _error_page(request, "404.html", 404)
        if isinstance(exception, DjangoPermissionDenied):
            return None  # Django renders 403.html in every mode
        if isinstance(exception, SuspiciousOperation):
            return _error_page(request, "400.html", 400)
        log.error("Internal Server Error: %s", request.path, exc_info=exception, extra={"status_code": 500})
        return _error_page(request, "500.html", 500)


def _is_page(request: HttpRequest) -> bool:
    return not request.path.startswith(("/api/", "/static/", "/hooks/"))


def _error_page(request: HttpRequest, template: str, status: int) -> HttpResponse:
    try:
        response = render(request, template, status=status)
    except Exception:  # a broken page must not hide the error behind another one
        log.exception("error page %s failed", template)
        response = render(request, "500.html", status=status, context={})
    response.otklik_error_page = True  # type: ignore[attr-defined]
    return response
