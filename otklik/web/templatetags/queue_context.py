"""``{% context_panel message place_id=… exclude_case=… as panel %}``: the context panel of the
curator's message page (the author's earlier messages and cases, open cases at the same place)
for any page that shows a message, e.g. the case page::

    {% load queue_context %}
    {% context_panel first_message place_id=case.place_id exclude_case=case.pk as panel %}
    {% include "web/_context_panel.html" with panel=panel %}

The signed-in actor's visibility applies: an executor sees only cases visible to them."""

from __future__ import annotations

from typing import Any

from django import template

from otklik.inbox.models import Message
from otklik.web.queue import ContextPanel
from otklik.web.queue import context_panel as _context_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def context_panel(
    context: template.Context, message: Message | None, place_id: Any = None, exclude_case: Any = None
) -> ContextPanel:
    actor = getattr(context.get("request"), "actor", None)
    if actor is None or message is None:
        return ContextPanel()
    return _context_panel(
        actor,
        message,
        place_id=place_id if isinstance(place_id, int) else None,
        exclude_case=exclude_case if isinstance(exclude_case, int) else None,
    )
