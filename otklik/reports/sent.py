"""The files of a monthly summary as it was sent (П.21), downloaded through a rights check.

The stored DOCX/XLSX/PDF lie under ``MEDIA_ROOT/reports/<administration>/``, which has no public
URL: only the Head, the responsible official and curators of that administration get them.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponseForbidden
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from otklik.core.errors import ApplicationError, NotFound
from otklik.organization.services import actor_for
from otklik.security.files import protected_file_response

from .models import ReportDispatch
from .services import CONTENT_TYPES


@login_required
def sent_report_file(request: HttpRequest, dispatch_id: int, fmt: str) -> HttpResponseBase:
    try:
        actor = actor_for(request.user, request.GET.get("adm") or None)  # type: ignore[arg-type]
    except ApplicationError:
        actor = None
    if actor is None or not actor.sees_everything:
        return HttpResponseForbidden(_("Справка доступна Главе, ответственному должностному лицу и кураторам."))
    dispatch = ReportDispatch.objects.filter(pk=dispatch_id, administration=actor.administration).first()
    name = next((f for f in (dispatch.files if dispatch else []) if PurePosixPath(f).suffix == f".{fmt}"), None)
    if name is None or fmt not in CONTENT_TYPES:
        raise Http404(_("Файл не найден."))
    try:
        return protected_file_response(name, filename=PurePosixPath(name).name, content_type=CONTENT_TYPES[fmt])
    except NotFound as exc:
        raise Http404(_("Файл не найден.")) from exc
