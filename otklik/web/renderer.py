"""The form renderer: Django's templates, except a drop-down list, which is written in Python.

Django renders a ``<select>`` as one template plus one included template per option, each with
its own attribute template. On the case page the curator's triage form has a place list and a
topic list; the two took some 8 ms of a request's CPU at 100,000 cases (a third of what the
issue allows the whole page). Writing the same markup here costs well under a millisecond.

The output is Django's ``select.html`` / ``select_option.html`` / ``attrs.html``, byte for byte
apart from whitespace between tags; ``tests/integration/test_renderer.py`` compares the two.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict[str, Any]) -> str:
    """``attrs.html``: a ``True`` value is written bare, a ``False`` one left out."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {conditional_escape(name)}")
        else:
            out.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(out)


def render_select(widget: dict[str, Any]) -> SafeString | None:
    """A ``<select>`` from the context Django's ``Select.get_context`` builds; ``None`` when an
    option has a template of its own (then Django renders it)."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            if option.get("template_name", OPTION) != OPTION:
                return None
            parts.append(
                f'\n  <option value="{conditional_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # every piece is escaped above


class Renderer(DjangoTemplates):
    """``FORM_RENDERER``: Django's own, with ``<select>`` written in Python."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name == SELECT and "widget" in context:
            html = render_select(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request)
