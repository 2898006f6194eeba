"""Forms of the web UI. They check the shape of the input; business rules stay in the actions,
whose Russian messages the views show as they are."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from otklik.core.plainsql import fetch, name, table
from otklik.core.validators import HttpURLField
from otklik.domain.networks import NETWORK_CHOICES
from otklik.domain.workflow import DRAFT_KIND_TITLES, IMPORTANCE_TITLES
from otklik.organization.models import Administration, Department, Place, Topic

IMPORTANCE_CHOICES = [(k.value, _(v)) for k, v in IMPORTANCE_TITLES.items()]
DRAFT_KIND_CHOICES = [(k.value, _(v)) for k, v in DRAFT_KIND_TITLES.items()]
LOCAL_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"]


class LocalDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read in the current (the administration's) time zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", LOCAL_INPUT)
        super().__init__(**kwargs)


class ManualMessageForm(forms.Form):
    network = forms.ChoiceField(
        label=_("Сеть"), choices=[(code, _(title)) for code, title in NETWORK_CHOICES], initial="other"
    )
    author_name = forms.CharField(label=_("Автор"), max_length=255, required=False)
    url = HttpURLField(label=_("Ссылка на оригинал"), max_length=1000, required=False, assume_scheme="https")
    published_at = LocalDateTimeField(label=_("Опубликовано"), required=False)
    text = forms.CharField(label=_("Текст сообщения"), widget=forms.Textarea(attrs={"rows": 6}))


class TriageFieldsForm(forms.Form):
    """П.8: topic(s), place, importance, an optional shortened deadline, significance (П.23)."""

    topics = forms.ModelMultipleChoiceField(
        label=_("Тематика"),
        queryset=Topic.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    place = forms.ModelChoiceField(label=_("Место"), queryset=Place.objects.none(), required=False)
    importance = forms.ChoiceField(label=_("Важность"), choices=IMPORTANCE_CHOICES, initial="normal")
    shortened_deadline = LocalDateTimeField(label=_("Сокращённый срок ответа (п. 8)"), required=False)
    significant = forms.BooleanField(label=_("Социально значимое — доложить Главе (п. 23)"), required=False)

    def __init__(self, *args: Any, administration: Administration, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = Topic.objects.filter(administration=administration, is_active=True)  # type: ignore[attr-defined]
        self.fields["place"].queryset = Place.objects.filter(administration=administration).select_related("parent")  # type: ignore[attr-defined]
        if not self.is_bound:
            # A form only shown (the case page, the inbox's message) lists its options from two
            # plain queries; a posted one still checks its values against the querysets above.
            topics, places = _triage_options(administration.pk)
            self.fields["topics"].choices = topics  # type: ignore[attr-defined]
            self.fields["place"].choices = [("", self.fields["place"].empty_label), *places]  # type: ignore[attr-defined]


def _triage_options(administration_id: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The active topics and the places («settlement, street») of the triage form, in their
    models' order (by name), as ``(id, label)``. Shown on every open case a curator opens: the
    ORM took about 1 ms of CPU to build and read each list as model instances, and these two
    queries a tenth of that (``tests/integration/test_renderer.py`` compares the options)."""
    topics = fetch(
        f"SELECT {name('id')}, {name('name')} FROM {table(Topic)}"
        f" WHERE {name('administration_id')} = %s AND {name('is_active')} ORDER BY {name('name')} ASC",
        [administration_id],
    )
    places = fetch(
        f"SELECT p.{name('id')}, p.{name('name')}, up.{name('name')} FROM {table(Place)} p"
        f" LEFT OUTER JOIN {table(Place)} up ON up.{name('id')} = p.{name('parent_id')}"
        f" WHERE p.{name('administration_id')} = %s ORDER BY p.{name('name')} ASC",
        [administration_id],
    )
    return topics, [(pk, f"{parent}, {title}" if parent is not None else title) for pk, title, parent in places]


class DetectForm(TriageFieldsForm):
    """The inbox decision "needs a response": triage, optionally a repeat (П.17), and routing."""

    summary = forms.CharField(label=_("Суть"), max_length=500, required=False)
    repeat_of = forms.IntegerField(label=_("Повтор обращения №"), required=False, min_value=1)
    comment = forms.CharField(
        label=_("Комментарий для подразделений"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Основание (п. 19)"), widget=forms.Textarea(attrs={"rows": 2}))


# The grounds of П.19, in the words of the regulation; the keys are the П.19 screen's
# (``otklik.triage.engine.screen.GROUND_NAMES``), so its verdict pre-ticks them.
REFUSAL_GROUNDS = [
    ("harm", _("намерение причинить вред должностному лицу")),
    ("obscene", _("нецензурные выражения")),
    ("insult", _("оскорбительные выражения")),
    ("threat", _("угрозы жизни, здоровью, имуществу должностного лица или членам его семьи")),
]


class RefusalForm(forms.Form):
    """П.19 from the inbox: one or more grounds and, if needed, a note; at least one of them."""

    grounds = forms.MultipleChoiceField(
        label=_("Основания (п. 19)"), choices=REFUSAL_GROUNDS, required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label=_("Пояснение"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("grounds") and not (data.get("note") or "").strip():
            raise forms.ValidationError(_("Отметьте основание п. 19 или напишите пояснение."))
        return data

    def reason(self) -> str:
        """The recorded reason: «п. 19: ground; ground. Note»."""
        titles = dict(REFUSAL_GROUNDS)
        grounds = "; ".join(str(titles[g]) for g in self.cleaned_data.get("grounds") or [])
        note = (self.cleaned_data.get("note") or "").strip()
        text = str(_("п. 19: %(grounds)s.")) % {"grounds": grounds} if grounds else ""
        return f"{text} {note}".strip()


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Почему не требует реагирования"),
        max_length=1000,
        widget=forms.TextInput(attrs={"list": "dismiss-reasons", "autocomplete": "off"}),
        error_messages={"required": _("Укажите, почему сообщение не требует реагирования.")},
    )


# Reasons a curator gives most often (offered in a datalist; any text is accepted).
DISMISS_REASONS = [
    _("не обращение: мнение, благодарность, поздравление"),
    _("реклама или спам"),
    _("не относится к ведению администрации"),
    _("дубль уже разобранного сообщения"),
    _("вопрос уже решён, ответ дан в сети"),
]


class AttachToCaseForm(forms.Form):
    case_number = forms.IntegerField(label=_("Номер открытого обращения"), min_value=1)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Причина"), widget=forms.Textarea(attrs={"rows": 2}))


class ContributionForm(forms.Form):
    text = forms.CharField(label=_("Информация для общего ответа (п. 16)"), widget=forms.Textarea(attrs={"rows": 4}))


class DraftForm(forms.Form):
    kind = forms.ChoiceField(label=_("Вид"), choices=DRAFT_KIND_CHOICES, initial="answer")
    text = forms.CharField(label=_("Текст ответа"), widget=forms.Textarea(attrs={"rows": 8}))
    measures_taken = forms.CharField(
        label=_("Принятые меры (п. 17)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResubmitForm(forms.Form):
    text = forms.CharField(label=_("Текст ответа"), widget=forms.Textarea(attrs={"rows": 8}))
    measures_taken = forms.CharField(
        label=_("Принятые меры (п. 17)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewReturnForm(forms.Form):
    comment = forms.CharField(label=_("Замечания"), widget=forms.Textarea(attrs={"rows": 3}))
    draft_id = forms.IntegerField(required=False, widget=forms.HiddenInput)


class PublishForm(forms.Form):
    """Only the link: the network's id of the answer is derived from it (``domain.publishing``)."""

    url = HttpURLField(label=_("Ссылка на размещённый ответ"), max_length=1000, assume_scheme="https")


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Комментарий"), widget=forms.Textarea(attrs={"rows": 2}))


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Фото или видео"))


def parse_route(data: Any, administration: Administration) -> list[int]:
    """Departments and their order (П.16) from ``departments`` checkboxes and ``order_<id>`` fields.

    Unnumbered departments follow the numbered ones in the order they were listed; the last one
    drafts the joint answer.
    """
    valid = set(Department.objects.filter(administration=administration, is_active=True).values_list("pk", flat=True))
    chosen: list[tuple[float, int, int]] = []
    for position, raw in enumerate(data.getlist("departments")):
        try:
            dept_id = int(raw)
        except (TypeError, ValueError):
            continue
        if dept_id not in valid or any(c[2] == dept_id for c in chosen):
            continue
        try:
            order = float(data.get(f"order_{dept_id}") or "inf")
        except ValueError:
            order = float("inf")
        chosen.append((order, position, dept_id))
    return [dept_id for _o, _p, dept_id in sorted(chosen)]
