"""Per-request context of the web UI: who the actor is and the administration's time zone.

``request.actor`` is the ``Actor`` of the signed-in person (or None), and Django's current time
zone is the administration's (Asia/Chita for the first customer), so templates show local times
while everything is stored in UTC. The interface is Russian first: the browser's
Accept-Language is not followed; English is shown only after the person picks it (the language
cookie set by the switch in the top bar).
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from otklik.core.errors import PermissionDenied
from otklik.organization.services import Actor, actor_for, administrations_of

SESSION_ADMINISTRATION = "otklik_administration"


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
