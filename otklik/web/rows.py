"""The rows of the long lists — the board, «Мои обращения», the inbox — written in Python.

A list page shows 50 rows of a dozen cells each. Through ``{% include %}`` and Django's variable
resolution a row cost about a millisecond of CPU, most of the page's time
(``tests/bench/profile_screen.py`` shows it); here a row is a few string joins. What is
translated is looked up once per page, links are built from one ``reverse`` per kind, and every
variable part is escaped (``escape``), so the result is safe to mark so.

The markup is the same as the templates had (``data-testid``s, classes, the countdown of
``{% countdown %}``), so the styles, the scripts and the tests read it unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from otklik.domain.workflow import IMPORTANCE_TITLES, STAGE_TITLES, STATE_TITLES

from . import markup
from .markup import countdown_html

_ID = 2_147_480_001  # an id no real row has: reverse() once, then the id is put in its place


def _link(name: str) -> tuple[str, str]:
    url = reverse(name, args=[_ID])
    head, _sep, tail = url.partition(str(_ID))
    return head, tail


def truncate(text: str, length: int) -> str:
    """``|truncatechars``: at most ``length`` characters, the last one «…» when cut."""
    text = text or ""
    return text if len(text) <= length else text[: length - 1] + "…"


class _Once:
    """A title function's escaped answers, each worked out once per page."""

    def __init__(self, title: Callable[[str], str]) -> None:
        self.title = title
        self.done: dict[str, str] = {}

    def __call__(self, key: Any) -> str:
        key = str(key or "")
        found = self.done.get(key)
        if found is None:
            found = self.done[key] = escape(self.title(key))
        return found


def _titles(table: dict[Any, str]) -> _Once:
    return _Once(lambda key: markup.title(table, key))


def case_rows(cases: Iterable[Any], *, now: dt.datetime, calendar: Any) -> SafeString:
    """``<tr>`` of each case of a board-like list (the markup ``web/_case_row.html`` had).

    A case carries what ``selectors.with_levels`` set: ``deadline_level``, ``row_assignments``
    (active, department prefetched), ``row_topics``; ``place`` is selected with its parent."""
    from otklik.sla import clock

    head, tail = _link("web:case")
    states, stages, networks = _titles(STATE_TITLES), _titles(STAGE_TITLES), _Once(markup.network_title)
    significant = escape(_("Социально значимое (п. 23)"))
    out: list[str] = []
    for c in cases:
        href = f"{head}{c.pk}{tail}"
        badge = f' <span class="badge danger" title="{significant}">!</span>' if c.significant else ""
        depts = "".join(
            f'<span class="dept{" lead" if a.is_lead else ""}">{escape(a.department)}</span> '
            for a in getattr(c, "row_assignments", ())
        )
        place = f'<br><span class="muted small">{escape(c.place)}</span>' if c.place_id else ""
        due = "—"
        if c.next_deadline_at:
            cd = clock.countdown(
                calendar,
                due=c.next_deadline_at,
                now=now,
                limit_seconds=None,
                started=c.next_started_at,
            )
            due = str(countdown_html(cd, now=now))
        stage = f'<br><span class="muted small">{stages(c.next_stage)}</span>' if c.next_stage else ""
        out.append(
            f'<tr class="lvl-row lvl-{c.deadline_level}" data-testid="case-row">'
            f'<td><a href="{href}"><strong>№&nbsp;{c.number}</strong></a>{badge}</td>'
            f'<td><a href="{href}" class="plainlink">{escape(truncate(c.summary, 110))}</a></td>'
            f"<td>{states(c.state)}</td>"
            f"<td>{depts}</td>"
            f"<td>{escape(getattr(c, 'row_topics', ''))}{place}</td>"
            f'<td><span class="net net-{escape(c.network)}">{networks(c.network)}</span></td>'
            f'<td class="due">{due}{stage}</td>'
            "</tr>"
        )
    return mark_safe("\n".join(out))  # every variable part above is escaped or a number


def message_rows(rows: Iterable[dict[str, Any]], *, now: dt.datetime, filter_query: str = "") -> SafeString:
    """``<tr>`` of each inbox row (the markup ``web/_inbox_row.html`` had): a row is the
    ``{"message", "route", "present"}`` of ``views.inbox._message_rows``."""
    head, tail = _link("web:message")
    query = f"?{escape(filter_query)}" if filter_query else ""
    importances, networks = _titles(IMPORTANCE_TITLES), _Once(markup.network_title)
    mark, original = escape(_("Отметить")), escape(_("Оригинал"))
    flagged, significant = escape(_("возможно, п. 19")), escape(_("социально значимое"))
    in_thread, take = escape(_("ответ в ветке")), escape(_("Разобрать"))
    out: list[str] = []
    for row in rows:
        m = row["message"]
        h = m.triage or {}
        href = f"{head}{m.pk}{tail}{query}"
        present = row.get("present") or []
        link = (
            f'<a href="{escape(m.url)}" rel="noopener noreferrer" target="_blank" title="{original}"'
            f' aria-label="{original}">↗</a> '
            if m.url
            else ""
        )
        tags = []
        level = (h.get("importance") or {}).get("level") if isinstance(h.get("importance"), dict) else None
        if level in ("high", "critical"):
            tags.append(f'<span class="badge imp-{level}">{importances(level)}</span>')
        if h.get("significant"):
            tags.append(f'<span class="badge danger">{significant}</span>')
        screen = h.get("screen")
        if isinstance(screen, dict) and screen.get("processable") is False:
            tags.append(f'<span class="badge warn" data-testid="flag-p19">{flagged}</span>')
        if h.get("topic") and h.get("topic_name"):
            tags.append(f'<span class="badge">{escape(h["topic_name"])}</span>')
        places = h.get("places")
        if places and isinstance(places, list) and isinstance(places[0], dict) and places[0].get("name"):
            tags.append(f'<span class="badge">{escape(places[0]["name"])}</span>')
        if m.parent_id or m.context:
            tags.append(f'<span class="badge">{in_thread}</span>')
        if present:
            who = escape(_("открыто: %(who)s") % {"who": ", ".join(present)})
            tags.append(f'<span class="badge taken" data-testid="taken">{who}</span>')
        route = countdown_html(row["route"], now=now) if row.get("route") is not None else ""
        out.append(
            f'<tr class="qrow{" taken" if present else ""}" data-row id="message-{m.pk}" data-testid="message"'
            f' data-href="{href}">'
            f'<td class="c-check"><input type="checkbox" name="messages" value="{m.pk}" form="bulk"'
            f' aria-label="{mark}" data-testid="check-{m.pk}"></td>'
            f'<td class="c-due">{route}</td>'
            f'<td class="c-src"><span class="net net-{escape(m.network)}">{networks(m.network)}</span> {link}'
            f'<span class="muted small src">{escape(m.source.name)}</span></td>'
            f'<td class="c-text"><div class="cell"><a class="qlink" href="{href}">'
            f'<span class="author">{escape(m.author_name or "—")}</span>'
            f' <span class="qtext">{escape(truncate(m.text, 220))}</span></a>'
            f'<span class="qtags">{"".join(tags)}</span></div></td>'
            f'<td class="c-act"><a class="button primary small-btn" href="{href}">{take}</a></td>'
            "</tr>"
        )
    return mark_safe("\n".join(out))  # every variable part above is escaped or a number
