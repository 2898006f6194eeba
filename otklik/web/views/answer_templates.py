"""Answer templates (issue 13 §6): the administration keeps ready answers per topic and department,
with placeholders filled from the case (``otklik.cases.answers``). A template is never deleted:
it is switched off (``is_active``), and who changed it last is kept."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otklik.cases.answers import PLACEHOLDERS, unknown_placeholders
from otklik.cases.models import AnswerTemplate
from otklik.core.errors import NotFound
from otklik.organization.models import Administration, Department, Topic
from otklik.organization.services import Actor

from .base import actor_view, administers


class AnswerTemplateForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = AnswerTemplate
        fields = ["title", "text", "topic", "department", "is_active"]
        widgets = {"text": forms.Textarea(attrs={"rows": 8})}
        labels = {
            "topic": gettext_lazy("Тематика (пусто — для любой)"),
            "department": gettext_lazy("Подразделение (пусто — для всех)"),
        }

    def __init__(self, *args: Any, administration: Administration, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = Topic.objects.filter(administration=administration)  # type: ignore[attr-defined]
        self.fields["department"].queryset = Department.objects.filter(  # type: ignore[attr-defined]
            administration=administration, is_active=True
        )

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"].strip()
        unknown = unknown_placeholders(text)
        if unknown:
            raise forms.ValidationError(
                _("Неизвестные подстановки: %(bad)s. Можно: %(ok)s.")
                % {
                    "bad": ", ".join("{" + u + "}" for u in unknown),
                    "ok": ", ".join("{" + p + "}" for p in PLACEHOLDERS),
                }
            )
        return text


@actor_view(administers)
def template_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    rows = AnswerTemplate.objects.filter(administration=actor.administration).select_related(
        "topic", "department", "updated_by"
    )
    return render(
        request,
        "web/answer_templates.html",
        {"templates": list(rows.order_by("-is_active", "title")), "placeholders": PLACEHOLDERS, "nav": "templates"},
    )


@actor_view(administers)
def template_edit(request: HttpRequest, actor: Actor, template_id: int | None = None) -> HttpResponse:
    instance = None
    if template_id is not None:
        instance = AnswerTemplate.objects.filter(administration=actor.administration, pk=template_id).first()
        if instance is None:
            raise NotFound(_("Шаблон не найден."))
    form = AnswerTemplateForm(request.POST or None, instance=instance, administration=actor.administration)
    if request.method == "POST" and form.is_valid():
        template = form.save(commit=False)
        template.administration = actor.administration
        template.updated_by_id = actor.user_id
        template.save()
        messages.success(request, _("Шаблон «%(t)s» сохранён.") % {"t": template.title})
        return redirect("web:answer_templates")
    return render(
        request,
        "web/answer_template_form.html",
        {"form": form, "template": instance, "placeholders": PLACEHOLDERS, "nav": "templates"},
        status=400 if request.method == "POST" else 200,
    )
