"""The administration's system administrator's page of personal data: export one citizen's data on
request (a ZIP download, recorded), the retention policy in force and its last runs."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otklik.core.errors import ValidationFailed
from otklik.domain.networks import NETWORK_CHOICES
from otklik.organization.services import Actor
from otklik.web.views.base import actor_view

from .export import AuthorQuery, export_author
from .models import DataExport, RetentionRun
from .retention import policy_for


def is_admin(actor: Actor) -> bool:
    return actor.is_admin


class ExportForm(forms.Form):
    network = forms.ChoiceField(label=_("Сеть"), choices=[("", _("любая")), *NETWORK_CHOICES], required=False)
    author_id = forms.CharField(label=_("Идентификатор автора в сети"), max_length=128, required=False)
    author_name = forms.CharField(label=_("Имя автора"), max_length=255, required=False)
    reason = forms.CharField(label=_("Основание (запрос гражданина: номер, дата)"), max_length=500, required=True)


@actor_view(is_admin)
def privacy_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    adm = actor.administration
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        query = AuthorQuery(data["network"], data["author_id"], data["author_name"])
        try:
            content, record = export_author(
                administration=adm, query=query, actor=request.user, channel="web", reason=data["reason"]
            )
        except ValidationFailed as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            response = HttpResponse(content, content_type="application/zip")
            stamp = timezone.localtime(record.at).strftime("%Y%m%d-%H%M")
            response["Content-Disposition"] = f'attachment; filename="citizen-data-{record.pk}-{stamp}.zip"'
            response["X-Content-Type-Options"] = "nosniff"
            response["Cache-Control"] = "no-store"
            return response
    context = {
        "nav": "privacy",
        "form": form,
        "policy": policy_for(adm),
        "runs": RetentionRun.objects.filter(administration=adm)[:10],
        "exports": DataExport.objects.filter(administration=adm).select_related("requested_by")[:20],
    }
    return render(request, "privacy/page.html", context, status=422 if request.method == "POST" else 200)
