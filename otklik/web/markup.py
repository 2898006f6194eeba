"""What the templates and the Python-written rows (``rows.py``) share: titles and the countdown."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from otklik.domain.networks import network
from otklik.sla import clock, display


def title(table: dict[Any, str], key: Any) -> str:
    """The translated title of ``key`` in one of the workflow's title tables, else the key."""
    for k, v in table.items():
        if str(k) == str(key):
            return _(v)
    return str(key or "")


def network_title(code: str) -> str:
    return _(network(code).title)


def iso(value: dt.datetime | None) -> str:
    """ISO 8601 in UTC for ``data-due`` attributes the countdown script reads."""
    if not value:
        return ""
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def countdown_html(cd: clock.Countdown, *, now: dt.datetime, full: bool = False) -> SafeString:
    """«осталось 30 раб. мин · срок 2 дек., 09:30 (Чита)» with the data the live tick (app.js) reads."""
    due_iso = iso(cd.due_at)
    when, zone = display.moment_parts(cd.due_at, cd.tz_name, now=now)
    paused = display.paused_words(cd, now=now)
    attrs = f' data-left="{cd.remaining_seconds}" data-at="{iso(now)}" data-due="{due_iso}"'
    if cd.clock_running and cd.changes_at is not None:
        attrs += f' data-until="{iso(cd.changes_at)}"'
    if cd.limit_seconds:
        attrs += f' data-limit="{cd.limit_seconds}"'
    parts = [
        f'<span class="countdown lvl lvl-{cd.level}{" paused" if paused else ""}" data-countdown'
        f' data-testid="countdown"{attrs}>',
        f'<span class="left" data-left-text>{escape(display.left_words(cd))}</span> · ',
        f'<span class="due">{escape(_("срок"))} <time datetime="{due_iso}">{escape(when)}'
        f' <span class="tz">({escape(zone)})</span></time></span>',
    ]
    if paused:
        words = escape(paused)
        shown = f" {words}" if full else f'<span class="sr-only">{words}</span>'
        parts.append(
            f' <span class="pause" title="{words}"><span class="pause-icon" aria-hidden="true"></span>{shown}</span>'
        )
    if cd.estimated:
        note = escape(_("Срок рассчитан приблизительно: производственный календарь года не загружен."))
        parts.append(f' <span class="estimated" title="{note}">≈</span>')
    parts.append("</span>")
    return mark_safe("".join(parts))  # every variable part above is escaped or a number
