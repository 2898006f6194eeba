"""A person's own security: second factor, recovery codes, API tokens, password; the lockout page.

Pages that show a secret (the enrolment key, recovery codes, a new token) are rendered in the
response to the POST that made it, never stored for a later page, and are marked ``no-store``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from otklik.core.errors import NotFound, ValidationFailed
from otklik.organization import tokens as api_tokens

from . import twofactor
from .forms import CodeForm, TokenForm

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _user(request: HttpRequest) -> User:
    return cast("User", request.user)  # the views are login_required


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _hide_workspace(request: HttpRequest) -> None:
    """While a code is still owed, the page shows no sections of the site (they would not open)."""
    if twofactor.pending(request):
        request.actor = None  # type: ignore[attr-defined]


def _next(request: HttpRequest, default: str = "web:home") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(default)


def locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """django-axes' lockout answer: a page in the person's language, 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "security/locked_out.html", {"minutes": minutes}, status=429)


# --------------------------------------------------------------------------------------------
# the account page


@login_required
@never_cache
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "has_device": twofactor.has_device(user),
        "required": twofactor.required_of(user),
        "codes_left": twofactor.recovery_codes_left(user),
        "tokens_active": api_tokens.active_tokens(_user(request)).count(),
        "code_form": CodeForm(),
        "nav": "account",
    }
    return render(request, "security/account.html", context)


# --------------------------------------------------------------------------------------------
# second factor: enrol, verify, recovery codes, switch off


@login_required
@never_cache
def enrol(request: HttpRequest) -> HttpResponse:
    user = request.user
    if twofactor.has_device(user):
        # A second device is added only by re-enrolling from a verified session (account page).
        if not twofactor.is_verified(user):
            return HttpResponseRedirect(reverse("security:verify") + "?" + request.GET.urlencode())
        return HttpResponseRedirect(reverse("security:account"))
    device = twofactor.unconfirmed_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = twofactor.confirm(request, device, form.cleaned_data["code"])
        if codes is not None:
            context = {"codes": codes, "next": _next(request, "security:account"), "first_time": True}
            return _no_store(render(request, "security/recovery_codes.html", context))
        form.add_error("code", _("Код не подошёл. Проверьте время на телефоне и введите новый код."))
    _hide_workspace(request)
    context = {
        "form": form,
        "qr": twofactor.qr_svg(device),
        "key": twofactor.key_text(device),
        "required": twofactor.required_of(user),
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return _no_store(render(request, "security/enrol.html", context))


@login_required
@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    state = twofactor.pending(request)
    if state is None:
        return HttpResponseRedirect(_next(request))
    if state == "enrol":
        return HttpResponseRedirect(reverse("security:enrol") + "?" + request.GET.urlencode())
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            if twofactor.verify(request, form.cleaned_data["code"]):
                return HttpResponseRedirect(_next(request))
            form.add_error("code", _("Неверный код."))
        except twofactor.Throttled:
            form.add_error("code", _("Слишком много неверных кодов. Подождите немного и попробуйте снова."))
            status = 429
    _hide_workspace(request)
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    return render(request, "security/verify.html", context, status=status)


def _confirmed_by_code(request: HttpRequest) -> bool:
    """A sensitive change asks for a current code again (not only a verified session)."""
    form = CodeForm(request.POST)
    if not form.is_valid():
        return False
    try:
        return twofactor.verify(request, form.cleaned_data["code"])
    except twofactor.Throttled:
        return False


@require_POST
@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    if not twofactor.has_device(request.user) or not _confirmed_by_code(request):
        messages.error(request, _("Неверный код: новые коды восстановления не выпущены."))
        return HttpResponseRedirect(reverse("security:account"))
    codes = twofactor.regenerate_recovery_codes(request.user)
    context = {"codes": codes, "next": reverse("security:account"), "first_time": False}
    return _no_store(render(request, "security/recovery_codes.html", context))


@require_POST
@login_required
def two_factor_reset(request: HttpRequest) -> HttpResponse:
    """Switch the second factor off (where not required) or set it up again on a new phone."""
    again = request.POST.get("again") == "1"
    if not twofactor.has_device(request.user) or not _confirmed_by_code(request):
        messages.error(request, _("Неверный код: второй фактор не изменён."))
        return HttpResponseRedirect(reverse("security:account"))
    if not again and twofactor.required_of(request.user):
        messages.error(request, _("Для вашей роли второй фактор обязателен: его можно только настроить заново."))
        return HttpResponseRedirect(reverse("security:account"))
    twofactor.remove_devices(request.user)
    if again:
        return HttpResponseRedirect(reverse("security:enrol"))
    messages.success(request, _("Второй фактор отключён."))
    return HttpResponseRedirect(reverse("security:account"))


# --------------------------------------------------------------------------------------------
# API tokens


@login_required
@never_cache
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = api_tokens.api_token_issue(
                user=_user(request), name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except ValidationFailed as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            form = TokenForm()
    context = {
        "form": form,
        "issued": issued,
        "tokens": _user(request).api_tokens.select_related("revoked_by").all(),
        "now": timezone.now(),
        "nav": "account",
    }
    return _no_store(render(request, "security/tokens.html", context))


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = api_tokens.own_token(_user(request), token_id)
    except NotFound:
        messages.error(request, _("Токен не найден."))
        return HttpResponseRedirect(reverse("security:tokens"))
    api_tokens.api_token_revoke(token=token, by=_user(request))
    messages.success(request, _("Токен «%(name)s» отозван.") % {"name": token.name})
    return HttpResponseRedirect(reverse("security:tokens"))


# --------------------------------------------------------------------------------------------
# password


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "security/password_change.html"
    success_url = reverse_lazy("security:account")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Пароль изменён."))
        return response
