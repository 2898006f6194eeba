"""The form renderer writes ``<select>`` in Python (otklik/web/renderer.py): the same markup as
Django's templates, escaped, with groups, several values and bare boolean attributes."""

from __future__ import annotations

import re

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
