"""What every view of the web UI shares: the actor, role checks, and errors turned into pages.

Actions raise ``ApplicationError`` subclasses with a Russian ``message``: a ``NotFound`` becomes a
404 page (existence never leaks), a ``PermissionDenied`` a 403 page, anything else a message on
the page the person came from — never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

from otklik.core.errors import ApplicationError, NotFound, PermissionDenied
from otklik.organization.services import Actor

View = Callable[..., HttpResponseBase]


def is_curator(actor: Actor) -> bool:
    return actor.is_curator


def sees_everything(actor: Actor) -> bool:
    return actor.sees_everything


def administers(actor: Actor) -> bool:
    """The administration's set-up (sources, calendar, templates): its administrator or a curator."""
    return actor.is_admin or actor.is_curator


def reads_figures(actor: Actor) -> bool:
    return actor.is_head or actor.is_curator


def actor_view(check: Callable[[Actor], bool] | None = None) -> Callable[[View], View]:
    """Require a signed-in person with a role (and ``check``); pass the actor to the view."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), resolve_url("web:login"))
            actor: Actor | None = getattr(request, "actor", None)
            if actor is None or (check is not None and not check(actor)):
                raise DjangoPermissionDenied
            try:
                return view(request, actor, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(exc.message) from exc
            except ApplicationError as exc:
                if request.method != "POST":
                    raise Http404(exc.message) from exc
                messages.error(request, exc.message)
                return back(request)

        return wrapper

    return decorator


def back(request: HttpRequest, default: str = "web:home") -> HttpResponseRedirect:
    """Redirect to ``next`` (same host only), else the referring page, else ``default``."""
    for candidate in (request.POST.get("next"), request.GET.get("next"), request.headers.get("Referer")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return HttpResponseRedirect(candidate)
    return HttpResponseRedirect(resolve_url(default))


def form_errors(request: HttpRequest, form: Any) -> None:
    """Show a form's errors as page messages (the form is re-rendered on the target page)."""
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else str(error))
