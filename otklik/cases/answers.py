"""Faster answers: the administration's answer templates and earlier approved answers (issue 13 §6).

A template's text may hold placeholders in braces, filled from the case when the executor picks it:
``{номер}``, ``{место}``, ``{дата}`` (today), ``{срок}`` (the П.10 answer deadline), ``{тематика}``,
``{подразделение}``, ``{автор}`` (the message's author). An unknown placeholder stays as typed, so
the executor sees it and fills it in.

Suggestions are answers approved on other cases of the same administration with the same topic or
place, ranked by how alike the messages are (shared words), so that a similar question gets a
similar answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from otklik.organization.models import Department

from .models import AnswerTemplate, Case, Draft

PLACEHOLDERS: dict[str, str] = {
    "номер": "номер обращения",
    "место": "место (населённый пункт, улица)",
    "дата": "сегодняшняя дата",
    "срок": "срок ответа (п. 10)",
    "тематика": "тематика обращения",
    "подразделение": "подразделение, готовящее ответ",
    "автор": "автор сообщения",
}
_PLACEHOLDER = re.compile(r"\{([а-яёА-ЯЁa-zA-Z_]+)\}")
_WORD = re.compile(r"[а-яёa-z0-9]{3,}", re.IGNORECASE)


def placeholder_values(case: Case, department: Department | None = None) -> dict[str, str]:
    first = case.messages.order_by("received_at", "id").first()
    return {
        "номер": str(case.number),
        "место": str(case.place) if case.place_id else "",
        "дата": timezone.localdate().strftime("%d.%m.%Y"),
        "срок": timezone.localtime(case.answer_due_at).strftime("%d.%m.%Y %H:%M") if case.answer_due_at else "",
        "тематика": ", ".join(t.name for t in case.topics.all()),
        "подразделение": str(department) if department else "",
        "автор": (first.author_name if first else "") or "",
    }


def fill(text: str, values: dict[str, str]) -> str:
    """Placeholders replaced by the case's values; an unknown or empty one is left as typed."""

    def one(match: re.Match[str]) -> str:
        value = values.get(match.group(1).lower())
        return value if value else match.group(0)

    return _PLACEHOLDER.sub(one, text)


def unknown_placeholders(text: str) -> list[str]:
    return sorted({m.group(1) for m in _PLACEHOLDER.finditer(text) if m.group(1).lower() not in PLACEHOLDERS})


@dataclass(frozen=True)
class Filled:
    template: AnswerTemplate
    text: str


def templates_for(case: Case, departments: list[Department]) -> list[Filled]:
    """The active templates that fit the case's topics and the actor's departments, most specific
    first, each filled in for this case."""
    topic_ids = [t.pk for t in case.topics.all()]
    dept_ids = [d.pk for d in departments]
    rows = AnswerTemplate.objects.filter(administration_id=case.administration_id, is_active=True).filter(
        Q(topic__isnull=True) | Q(topic_id__in=topic_ids)
    )
    rows = rows.filter(Q(department__isnull=True) | Q(department_id__in=dept_ids)).select_related("topic", "department")
    lead = departments[0] if departments else None
    values = placeholder_values(case, lead)
    ranked = sorted(rows, key=lambda t: (-(t.topic_id is not None) - (t.department_id is not None), t.title))
    return [Filled(t, fill(t.text, values)) for t in ranked]


def _words(text: str) -> set[str]:
    # A crude stem (the first 5 letters) is enough to match «воды» and «водой».
    return {w.lower()[:5] for w in _WORD.findall(text or "")}


@dataclass(frozen=True)
class Suggestion:
    case: Case
    draft: Draft
    score: float


def similar_answers(case: Case, *, limit: int = 3, pool: int = 200) -> list[Suggestion]:
    """Answers approved (or published) on other cases with the same topic or place, most alike first."""
    topic_ids = [t.pk for t in case.topics.all()]
    related = Q(case__topics__in=topic_ids) if topic_ids else Q(pk__in=[])
    if case.place_id:
        related |= Q(case__place_id=case.place_id)
    drafts = (
        Draft.objects.filter(
            case__administration_id=case.administration_id,
            status__in=[Draft.Status.APPROVED, Draft.Status.PUBLISHED],
            kind="answer",
        )
        .filter(related)
        .exclude(case=case)
        .select_related("case", "case__place")
        .order_by("-submitted_at")
        .distinct()[:pool]
    )
    mine = _words(" ".join(m.text for m in case.messages.all()) + " " + case.summary)
    texts: dict[int, set[str]] = {}
    for draft in drafts:
        texts.setdefault(draft.case_id, set())
    from otklik.inbox.models import Message

    for m in Message.objects.filter(case_id__in=list(texts)).only("case_id", "text"):
        texts[m.case_id] |= _words(m.text)
    out: list[Suggestion] = []
    seen: set[int] = set()
    for draft in drafts:
        if draft.case_id in seen:
            continue
        seen.add(draft.case_id)
        theirs = texts.get(draft.case_id, set()) | _words(draft.case.summary)
        union = mine | theirs
        score = len(mine & theirs) / len(union) if union else 0.0
        if draft.case.place_id and draft.case.place_id == case.place_id:
            score += 0.1
        out.append(Suggestion(draft.case, draft, round(score, 3)))
    out.sort(key=lambda s: (-s.score, -s.draft.pk))
    return [s for s in out if s.score > 0][:limit]
