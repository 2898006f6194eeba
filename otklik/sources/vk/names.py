"""Author names for VK Callback API events (issue 11 §4): ``wall_reply_new`` and
``wall_reply_edit`` carry only ``from_id``, so the names come from ``users.get`` /
``groups.getById`` with the source's key, kept in the cache for a day (a resident writes many
comments; one lookup serves them all, in every worker).

A name that cannot be had (no key, the network down, a deleted page) never costs the message: it
is stored with its profile link and the link's own label (``id501``, ``club123``), as VK shows it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.core.cache import cache

from otklik.domain.messages import IncomingMessage
from otklik.inbox.models import Source
from otklik.sources.errors import SourceError

log = logging.getLogger(__name__)

CACHE_SECONDS = 24 * 3600
LOOKUP_TIMEOUT = 5.0  # VK waits for the answer to an event; a slow lookup must not make it retry


def _key(from_id: int) -> str:
    return f"otklik:vk-name:{from_id}"


def fallback_name(from_id: int) -> str:
    return f"id{from_id}" if from_id > 0 else f"club{-from_id}"


def with_author_names(
    source: Source, messages: list[IncomingMessage], *, connector_for: Callable[..., Any]
) -> list[IncomingMessage]:
    """The messages, each with an author name: from the cache, else looked up, else the link's label.

    ``connector_for`` is ``sources.connect.connector_for_source``, passed in by the caller: the
    network packages stand below ``connect`` (which reaches them through the registry).
    """
    wanted = {
        int(m.author_id)
        for m in messages
        if not m.author_name and m.author_id.lstrip("-").isdigit() and int(m.author_id) != 0
    }
    if not wanted:
        return messages
    cached = cache.get_many([_key(i) for i in wanted])
    names = {i: cached[_key(i)] for i in wanted if _key(i) in cached}
    missing = sorted(wanted - set(names))
    if missing and source.token:
        try:
            connector = connector_for(source, overrides={"max_attempts": 1, "timeout": LOOKUP_TIMEOUT})
            found = connector.author_names(missing)  # type: ignore[attr-defined]
        except SourceError as exc:
            log.warning("vk source %s: author names not looked up: %s", source.pk, exc)
            found = {}
        cache.set_many({_key(i): name for i, name in found.items()}, CACHE_SECONDS)
        names.update(found)
    out = []
    for message in messages:
        if message.author_name or not message.author_id.lstrip("-").isdigit() or int(message.author_id) == 0:
            out.append(message)
            continue
        from_id = int(message.author_id)
        out.append(replace(message, author_name=names.get(from_id) or fallback_name(from_id)))
    return out
