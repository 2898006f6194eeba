"""A citizen's data on request (152-ФЗ, ст. 14): everything the administration holds about one author.

Found by network and author id (also after pseudonymisation: the code is computed from the id),
or by the author's name (exact, case-insensitive). The result is a ZIP with ``data.json``
(messages with their revisions, the cases they are in, the answers published) and a short
``README.txt``; each export is recorded as a ``DataExport`` (who, when, whose, how much).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone

from otklik.cases.models import Case, Draft
from otklik.core.errors import ValidationFailed
from otklik.domain.networks import NETWORK_CHOICES
from otklik.inbox.models import Message
from otklik.organization.models import Administration

from .models import DataExport
from .retention import pseudonym_id


@dataclass(frozen=True)
class AuthorQuery:
    network: str = ""
    author_id: str = ""
    author_name: str = ""

    def validate(self) -> AuthorQuery:
        query = AuthorQuery(self.network.strip(), self.author_id.strip(), self.author_name.strip())
        if not (query.author_id or query.author_name):
            raise ValidationFailed("Укажите идентификатор автора в сети или его имя.", field="author_id")
        if query.author_id and not query.network:
            raise ValidationFailed("Для поиска по идентификатору укажите сеть.", field="network")
        return query


def _folded(name: str) -> str:
    return " ".join(name.casefold().replace("ё", "е").split())


def author_messages(administration: Administration, query: AuthorQuery) -> Any:
    rows = Message.objects.filter(administration=administration)
    if query.network:
        rows = rows.filter(network=query.network)
    match = Q()
    if query.author_id:
        match |= Q(author_id=query.author_id) | Q(author_id=pseudonym_id(query.network, query.author_id))
    if query.author_name:
        # Case-insensitive in Russian too (SQLite folds only ASCII): compared here, names only.
        wanted = _folded(query.author_name)
        names = rows.exclude(author_name="").values_list("pk", "author_name").iterator(chunk_size=2000)
        match |= Q(pk__in=[pk for pk, name in names if _folded(name) == wanted])
        # A pseudonymised author who had no id is found by the code of their name.
        networks = [query.network] if query.network else [code for code, _ in NETWORK_CHOICES]
        match |= Q(author_id__in=[pseudonym_id(net, "", query.author_name) for net in networks])
    return rows.filter(match).order_by("received_at", "pk")


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _message(m: Message) -> dict[str, Any]:
    return {
        "id": m.pk,
        "network": m.network,
        "external_id": m.external_id,
        "url": m.url,
        "author_name": m.author_name,
        "author_id": m.author_id,
        "author_url": m.author_url,
        "text": m.text,
        "attachments": m.attachments,
        "published_at": _iso(m.published_at),
        "received_at": _iso(m.received_at),
        "status": m.status,
        "case_number": m.case.number if m.case is not None else None,
        "edited_at": _iso(m.edited_at),
        "deleted_at": _iso(m.deleted_at),
        "revisions": [
            {"number": r.number, "kind": r.kind, "text": r.text, "changed_at": _iso(r.changed_at)}
            for r in m.revisions.all()
        ],
    }


def _case(c: Case) -> dict[str, Any]:
    published = c.drafts.filter(status=Draft.Status.PUBLISHED).order_by("published_at")
    return {
        "number": c.number,
        "state": c.get_state_display(),
        "summary": c.summary,
        "topics": sorted(t.name for t in c.topics.all()),
        "place": str(c.place) if c.place_id else None,
        "detected_at": _iso(c.detected_at),
        "answer_due_at": _iso(c.answer_due_at),
        "closed_at": _iso(c.closed_at),
        "refusal_reason": c.refusal_reason,
        "answers": [
            {"kind": d.get_kind_display(), "text": d.text, "published_at": _iso(d.published_at), "url": d.published_url}
            for d in published
        ],
    }


README = """Выгрузка персональных данных гражданина (ст. 14 Федерального закона № 152-ФЗ)

Администрация: {administration}
Сформирована: {at}
Запрос: {query}

data.json — все сообщения автора, полученные из открытых источников (с историей изменений),
обращения, в которые они вошли, и размещённые ответы. Сообщений: {messages}, обращений: {cases}.
"""


def export_author(
    *,
    administration: Administration,
    query: AuthorQuery,
    actor: Any = None,
    channel: str = "web",
    reason: str = "",
    now: dt.datetime | None = None,
) -> tuple[bytes, DataExport]:
    """The ZIP of one author's data, and the audit record of the export."""
    query = query.validate()
    now = now or timezone.now()
    messages = list(author_messages(administration, query).select_related("case").prefetch_related("revisions"))
    case_ids = sorted({m.case_id for m in messages if m.case_id})
    cases = list(
        Case.objects.filter(pk__in=case_ids).select_related("place").prefetch_related("topics").order_by("number")
    )
    described = {"network": query.network, "author_id": query.author_id, "author_name": query.author_name}
    data = {
        "format": "otklik-citizen-export/1",
        "administration": administration.name,
        "generated_at": now.isoformat(),
        "query": described,
        "messages": [_message(m) for m in messages],
        "cases": [_case(c) for c in cases],
    }
    shown = ", ".join(f"{k}={v}" for k, v in described.items() if v)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        archive.writestr(
            "README.txt",
            README.format(
                administration=administration.name,
                at=now.isoformat(timespec="seconds"),
                query=shown,
                messages=len(messages),
                cases=len(cases),
            ),
        )
    content = buffer.getvalue()
    record = DataExport.objects.create(
        administration=administration,
        requested_by=actor,
        at=now,
        channel=channel,
        network=query.network,
        author_id=query.author_id,
        author_name=query.author_name,
        reason=reason[:500],
        messages=len(messages),
        cases=len(cases),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    return content, record
