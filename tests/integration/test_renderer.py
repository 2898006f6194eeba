"""The form renderer writes ``<select>`` in Python (otklik/web/renderer.py): the same markup as
Django's templates, escaped, with groups, several values and bare boolean attributes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from otklik.web.renderer import Renderer


class Sample(forms.Form):
    one = forms.ChoiceField(choices=[("", "—"), ("a", "A & <b>"), ('q"x', 'кавычка "q"')], required=True)
    many = forms.MultipleChoiceField(
        choices=[("Север", [("1", "Один"), ("2", "Два")]), ("3", "Три")],
        widget=forms.SelectMultiple(attrs={"size": 4, "disabled": True, "data-x": False}),
    )


def _squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


def test_select_markup_is_djangos_own() -> None:
    for data in (None, {"one": "a", "many": ["2", "3"]}, {"one": 'q"x', "many": ["1"]}):
        ours, theirs = Sample(data, renderer=Renderer()), Sample(data, renderer=DjangoTemplates())
        for name in ("one", "many"):
            assert _squeeze(ours[name].as_widget()) == _squeeze(theirs[name].as_widget())


def test_labels_and_values_are_escaped_and_the_chosen_ones_marked() -> None:
    html = str(Sample({"one": 'q"x', "many": ["2"]}, renderer=Renderer())["one"].as_widget())
    assert "A &amp; &lt;b&gt;" in html and "<b>" not in html
    assert '<option value="q&quot;x" selected>' in html
    many = str(Sample({"many": ["2"]}, renderer=Renderer())["many"].as_widget())
    assert '<optgroup label="Север">' in many and '<option value="2" selected>Два</option>' in many
    assert " multiple" in many and " disabled" in many and "data-x" not in many


def test_other_widgets_still_come_from_the_templates() -> None:
    html = str(forms.CharField(widget=forms.Textarea).widget.render("t", "<x>", renderer=Renderer()))
    assert html.startswith("<textarea") and "&lt;x&gt;" in html


@pytest.mark.django_db
def test_the_triage_forms_options_are_its_querysets(org: Any, django_assert_max_num_queries: Any) -> None:
    """A triage form only shown lists its topics and places from plain queries: the same options,
    in the same order, with the same labels («settlement, street») and the chosen ones marked, as
    the form built on its querysets; a posted one is checked against the querysets."""
    from otklik.organization.models import Place, Topic
    from otklik.web.forms import TriageFieldsForm

    street = Place.objects.create(administration=org.adm, name="ул. Ленина", parent=org.places["gz"])
    Topic.objects.create(administration=org.adm, code="old", name="Архив", is_active=False)
    Topic.objects.create(administration=org.adm, code="zz", name="Благоустройство")
    initial = {"topics": [org.topics["roads"].pk], "place": street.pk}
    with django_assert_max_num_queries(2):
        shown = TriageFieldsForm(administration=org.adm, initial=initial)
        html = {name: _squeeze(shown[name].as_widget()) for name in ("topics", "place")}

    class ByQuerysets(TriageFieldsForm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            for name in ("topics", "place"):
                del self.fields[name]._choices  # back to the ModelChoiceIterator

    theirs = ByQuerysets(administration=org.adm, initial=initial)
    for name in ("topics", "place"):
        assert html[name] == _squeeze(theirs[name].as_widget()), name
    assert "Газимурский Завод, ул. Ленина</option>" in html["place"] and "Архив" not in html["topics"]
    assert f'<option value="{street.pk}" selected>' in html["place"]
    posted = TriageFieldsForm({"place": str(street.pk), "importance": "normal"}, administration=org.adm)
    assert posted.is_valid(), posted.errors
    assert posted.cleaned_data["place"] == street
    foreign = TriageFieldsForm({"place": "999999", "importance": "normal"}, administration=org.adm)
    assert not foreign.is_valid() and "place" in foreign.errors
