"""Pages of the sources module (mounted at ``/sources/``): the administration's sources with their
state and warnings, their set-up (a typed form per network, «Проверить» before saving — only the
administration's system administrator), and the import of messages from a file (curators)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from otklik.domain.networks import NETWORK_CHOICES
from otklik.inbox.actions import Provenance, source_for
from otklik.inbox.models import Message, Source
from otklik.organization.services import Actor
from otklik.sources import polling
from otklik.sources.errors import SourceError
from otklik.sources.files import detect_format
from otklik.sources.forms import FORMS, SourceForm
from otklik.sources.importing import ImportReport, guess_mapping, import_file, read_header
from otklik.web.views.base import actor_view, administers, is_curator

SESSION_KEY = "otklik_imports"
MAX_UPLOAD = 200 * 1024 * 1024

TARGET_LABELS: list[tuple[str, Any]] = [
    ("text", gettext_lazy("Текст сообщения")),
    ("external_id", gettext_lazy("Идентификатор в сети")),
    ("published_at", gettext_lazy("Дата публикации")),
    ("author_name", gettext_lazy("Автор")),
    ("author_id", gettext_lazy("Идентификатор автора")),
    ("author_url", gettext_lazy("Страница автора")),
    ("url", gettext_lazy("Ссылка на сообщение")),
    ("network", gettext_lazy("Сеть")),
]
FORMAT_CHOICES = [("", gettext_lazy("по расширению файла")), ("csv", "CSV"), ("xlsx", "XLSX"), ("jsonl", "JSONL")]


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Файл (CSV, XLSX или JSONL)"))
    format = forms.ChoiceField(label=gettext_lazy("Формат"), choices=FORMAT_CHOICES, required=False)
    network = forms.ChoiceField(
        label=gettext_lazy("Сеть, если в файле её нет"),
        choices=[(code, gettext_lazy(title)) for code, title in NETWORK_CHOICES],
        initial="other",
    )


class MappingForm(forms.Form):
    """Target field -> column of the file."""

    def __init__(self, *args: Any, columns: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(c, c) for c in columns]
        for target, label in TARGET_LABELS:
            self.fields[target] = forms.ChoiceField(label=label, choices=choices, required=target == "text")

    def mapping(self) -> dict[str, str]:
        return {k: v for k, v in self.cleaned_data.items() if v}


def _import_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _file_source(actor: Actor) -> Source:
    return source_for(actor.administration, Source.Kind.FILE, network="other")


def sets_up_sources(actor: Actor) -> bool:
    return actor.is_admin


@actor_view(administers)
def source_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    sources = list(Source.objects.filter(administration=actor.administration).order_by("name"))
    rows = [
        {
            "source": s,
            "polled": polling.is_polled(s),
            "checkable": s.kind in polling.POLLED_KINDS or (s.kind == Source.Kind.VK_CALLBACK and bool(s.token)),
            "failing": s.status == Source.Status.FAILING,
            "editable": s.kind in FORMS,
            "warnings": [w for w in (s.warning or "").splitlines() if w.strip()],
        }
        for s in sources
    ]
    kinds = [(kind, Source.Kind(kind).label) for kind in FORMS]
    context = {"rows": rows, "nav": "sources", "kinds": kinds, "can_set_up": sets_up_sources(actor)}
    return render(request, "sources/list.html", context)


def _render_form(
    request: HttpRequest, form: SourceForm, source: Source | None, kind: str, **extra: Any
) -> HttpResponse:
    context = {
        "nav": "sources",
        "form": form,
        "source": source,
        "kind": kind,
        "kind_label": Source.Kind(kind).label,
        **extra,
    }
    return render(request, "sources/edit.html", context, status=400 if form.errors else 200)


def _set_up(request: HttpRequest, actor: Actor, kind: str, source: Source | None) -> HttpResponse:
    """Create or change a source: validate the typed form, «Проверить» shows what the network says
    (nothing is saved), «Сохранить» checks too and saves; a failing check is saved only on request."""
    form_class = FORMS[kind]
    if request.method != "POST":
        initial = form_class.initial_for(source) if source else {}
        return _render_form(request, form_class(initial=initial, source=source), source, kind)
    form = form_class(request.POST, source=source)
    if not form.is_valid():
        return _render_form(request, form, source, kind)
    draft = Source(administration=actor.administration) if source is None else Source.objects.get(pk=source.pk)
    form.apply(draft)
    report, error = polling.check_source_report(draft, save=False)
    if request.POST.get("action") != "save" or (error and not request.POST.get("save_anyway")):
        return _render_form(request, form, source, kind, report=report, check_error=error, checked=True)
    if report is not None:
        draft.config = {**draft.config, **report.config_updates}
        draft.warning = "\n".join(report.warnings)
    draft.status = Source.Status.FAILING if error else Source.Status.NEVER
    draft.last_error = error or ""
    draft.save()
    messages.success(request, _("Источник «%(name)s» сохранён.") % {"name": draft.name})
    return redirect("sources:list")


@actor_view(sets_up_sources)
def source_new(request: HttpRequest, actor: Actor, kind: str) -> HttpResponse:
    if kind not in FORMS:
        raise Http404(_("Нет такого вида источника."))
    return _set_up(request, actor, kind, None)


@actor_view(sets_up_sources)
def source_edit(request: HttpRequest, actor: Actor, source_id: int) -> HttpResponse:
    source = _own_source(actor, source_id)
    if source.kind not in FORMS:
        raise Http404(_("Этот источник не настраивается."))
    return _set_up(request, actor, source.kind, source)


def _own_source(actor: Actor, source_id: int) -> Source:
    source = Source.objects.filter(pk=source_id, administration=actor.administration).first()
    if source is None:
        raise Http404(_("Источник не найден."))
    return source


@require_POST
@actor_view(administers)
def source_check(request: HttpRequest, actor: Actor, source_id: int) -> HttpResponse:
    source = _own_source(actor, source_id)
    report, error = polling.check_source_report(source)
    if error:
        messages.error(request, _("«%(name)s»: %(error)s") % {"name": source.name, "error": error})
    else:
        found = "; ".join(report.found) if report is not None else ""
        messages.success(request, _("«%(name)s»: доступ есть. %(found)s") % {"name": source.name, "found": found})
        for warning in report.warnings if report is not None else []:
            messages.warning(request, warning)
    return redirect("sources:list")


@require_POST
@actor_view(administers)
def source_poll(request: HttpRequest, actor: Actor, source_id: int) -> HttpResponse:
    source = _own_source(actor, source_id)
    result = polling.poll_source(source)
    (messages.success if result.ok else messages.error)(request, result.line())
    return redirect("sources:list")


@actor_view(is_curator)
def import_messages(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Step 1: upload; step 2: map the columns, check without writing, then import."""
    context: dict[str, Any] = {"nav": "sources", "upload": UploadForm()}
    if request.method != "POST":
        return render(request, "sources/import.html", context)
    stored: dict[str, dict[str, str]] = request.session.get(SESSION_KEY, {})
    step = request.POST.get("step", "upload")
    if step == "upload":
        upload = UploadForm(request.POST, request.FILES)
        context["upload"] = upload
        if not upload.is_valid():
            return render(request, "sources/import.html", context, status=400)
        file = upload.cleaned_data["file"]
        if file.size > MAX_UPLOAD:
            messages.error(request, _("Файл больше 200 МБ."))
            return render(request, "sources/import.html", context, status=400)
        try:
            fmt = upload.cleaned_data["format"] or detect_format(Path(file.name))
        except SourceError as exc:
            messages.error(request, str(exc))
            return render(request, "sources/import.html", context, status=400)
        token = uuid.uuid4().hex
        path = _import_dir() / f"{token}.{fmt}"
        with path.open("wb") as out:
            for chunk in file.chunks():
                out.write(chunk)
        try:
            columns = read_header(path, fmt)
        except Exception as exc:  # an unreadable file: say so, keep nothing
            path.unlink(missing_ok=True)
            messages.error(request, _("Не удалось прочитать файл: %(error)s") % {"error": exc})
            return render(request, "sources/import.html", context, status=400)
        stored[token] = {
            "path": str(path),
            "name": file.name,
            "format": fmt,
            "network": upload.cleaned_data["network"],
            "columns": columns,  # type: ignore[dict-item]
        }
        request.session[SESSION_KEY] = stored
        context.update(
            token=token, info=stored[token], mapping=MappingForm(columns=columns, initial=guess_mapping(columns))
        )
        return render(request, "sources/import.html", context)
    token = request.POST.get("token", "")
    info = stored.get(token)
    if not info or not Path(info["path"]).exists():
        messages.error(request, _("Файл не найден — загрузите его ещё раз."))
        return render(request, "sources/import.html", context, status=400)
    columns = list(info.get("columns") or [])
    form = MappingForm(request.POST, columns=columns)
    context.update(token=token, info=info, mapping=form)
    if not form.is_valid():
        return render(request, "sources/import.html", context, status=400)
    dry_run = step != "import"
    try:
        report: ImportReport = import_file(
            source=_file_source(actor),
            path_or_file=info["path"],
            format=info["format"],
            mapping=form.mapping(),
            dry_run=dry_run,
            network=info.get("network") or None,
            brought=Provenance(Message.BroughtVia.FILE, user_id=actor.user_id),
        )
    except SourceError as exc:
        messages.error(request, str(exc))
        return render(request, "sources/import.html", context, status=400)
    context["report"] = report
    if not dry_run:
        Path(info["path"]).unlink(missing_ok=True)
        stored.pop(token, None)
        request.session[SESSION_KEY] = stored
        context["done"] = True
        messages.success(request, _("Импорт завершён. %(summary)s") % {"summary": report.summary()})
    return render(request, "sources/import.html", context)
