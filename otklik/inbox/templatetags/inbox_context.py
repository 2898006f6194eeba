"""``{% message_context message as ctx %}`` for ``inbox/_message_context.html``."""

from __future__ import annotations

from django import template

from otklik.inbox.models import Message
from otklik.inbox.selectors import MessageContext
from otklik.inbox.selectors import message_context as _message_context

register = template.Library()


@register.simple_tag
def message_context(message: Message) -> MessageContext:
    return _message_context(message)
