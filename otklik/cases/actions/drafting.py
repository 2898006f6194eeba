"""П.11–13 — drafting and review: the lead department's executor sends the curator a draft answer,
an interim answer or a request for clarification (due ``draft_lead`` before the П.10 deadline);
the curator approves it within ``review``, or returns it with comments, and the reworked draft
(a new version; the old one is kept) is due within ``rework``. An answer to a repeat message
states the measures taken (П.17); its length fits the network (П.18).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from otklik.core.errors import IllegalTransition, ValidationFailed
from otklik.domain.networks import network as network_info
from otklik.domain.workflow import Action, DraftKind, StageKey
from otklik.organization.services import Actor

from ..models import Assignment, Attachment, Case, Draft
from .contract import CaseTransition, transition
from .publication import queue_publication


def _validate_draft(case: Case, kind: DraftKind, text: str, measures_taken: str) -> None:
    if not text.strip():
        raise ValidationFailed("Введите текст проекта.", field="text")
    limit = network_info(case.network).max_answer_length
    if len(text) > limit:
        raise ValidationFailed(
            f"Текст длиннее, чем допускает сеть ({len(text)} из {limit} знаков, п. 18).", field="text"
        )
    if case.repeat_of_id and kind is DraftKind.ANSWER and not measures_taken.strip():
        raise ValidationFailed(
            "Ответ на повторное сообщение должен содержать информацию о принятых мерах или о ходе решения (п. 17).",
            field="measures_taken",
        )


def _new_version(
    t: CaseTransition, kind: DraftKind, text: str, measures_taken: str, attachment_ids: Sequence[int]
) -> Draft:
    """A draft version for review: the attachments named go with it; its review stage starts."""
    assert t.actor is not None
    draft = Draft.objects.create(
        case=t.case,
        department=t.acting.department,
        kind=kind.value,
        version=t.case.drafts.count() + 1,
        text=text.strip(),
        measures_taken=measures_taken.strip(),
        author_id=t.actor.user_id,
        submitted_at=t.now,
    )
    if attachment_ids:
        found = Attachment.objects.filter(case=t.case, pk__in=list(attachment_ids), draft__isnull=True)
        if found.count() != len(set(attachment_ids)):
            raise ValidationFailed("Вложение не найдено или уже использовано.", field="attachment_ids")
        found.update(draft=draft)
    t.open(StageKey.REVIEW, draft=draft)
    t.payload = {"draft_id": draft.pk, "kind": draft.kind, "version": draft.version}
    return draft


def case_submit_draft(
    *,
    case: Case,
    actor: Actor,
    kind: str,
    text: str,
    measures_taken: str = "",
    attachment_ids: Sequence[int] = (),
    now: dt.datetime | None = None,
) -> Draft:
    """П.11: the lead executor sends a draft answer, interim answer or clarification to the curator."""
    try:
        draft_kind = DraftKind(kind)
    except ValueError:
        raise ValidationFailed("Неизвестный вид проекта.", field="kind") from None
    with transition(Action.SUBMIT_DRAFT, case=case, actor=actor, now=now) as t:
        assignment = t.acting
        _validate_draft(t.case, draft_kind, text, measures_taken)
        if assignment.status == Assignment.Status.RECEIVED:
            # Sending a draft implies accepting the message.
            assignment.status = Assignment.Status.ACCEPTED
            assignment.accepted_at = t.now
            assignment.assignee_id = assignment.assignee_id or actor.user_id
            assignment.save(update_fields=["status", "accepted_at", "assignee"])
        draft = _new_version(t, draft_kind, text, measures_taken, attachment_ids)
    return draft


def case_resubmit(
    *,
    case: Case,
    actor: Actor,
    text: str,
    measures_taken: str = "",
    attachment_ids: Sequence[int] = (),
    now: dt.datetime | None = None,
) -> Draft:
    """П.13: the reworked draft goes back to the curator — a new version; the old one is kept."""
    with transition(Action.RESUBMIT, case=case, actor=actor, now=now) as t:
        previous = t.case.drafts.filter(status=Draft.Status.RETURNED).order_by("-version").first()
        if previous is None:
            raise IllegalTransition("Нет проекта, возвращённого на доработку.")
        kind = DraftKind(previous.kind)
        measures_taken = measures_taken or previous.measures_taken
        _validate_draft(t.case, kind, text, measures_taken)
        previous.status = Draft.Status.SUPERSEDED
        previous.save(update_fields=["status"])
        draft = _new_version(t, kind, text, measures_taken, attachment_ids)
        # Attachments of the previous version carry over unless new ones were given.
        if not attachment_ids:
            Attachment.objects.filter(draft=previous).update(draft=draft)
    return draft


def _review(t: CaseTransition, draft_id: int | None, status: Draft.Status, then: StageKey, comment: str = "") -> Draft:
    """The curator's decision on the draft under review; the stage ``then`` belongs to the lead department."""
    draft = t.case.drafts.filter(status=Draft.Status.REVIEW).order_by("-version").first()
    if draft is None or (draft_id is not None and draft.pk != draft_id):
        raise IllegalTransition("Этот проект уже рассмотрен.")
    draft.status = status
    draft.reviewed_by_id = t.actor_id
    draft.reviewed_at = t.now
    draft.review_comment = comment or draft.review_comment
    draft.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
    t.open(then, draft=draft, of_lead=True)
    t.payload = {"draft_id": draft.pk, "version": draft.version}
    return draft


def case_approve(*, case: Case, actor: Actor, draft_id: int | None = None, now: dt.datetime | None = None) -> Draft:
    """П.12: the curator approves the draft; publication is due within ``publish`` (П.14)."""
    with transition(Action.APPROVE, case=case, actor=actor, now=now) as t:
        draft = _review(t, draft_id, Draft.Status.APPROVED, StageKey.PUBLISH)
        queue_publication(t, draft)
    return draft


def case_return_draft(
    *, case: Case, actor: Actor, comment: str, draft_id: int | None = None, now: dt.datetime | None = None
) -> Draft:
    """П.12–13: back to the executor for rework, with the curator's comments."""
    if not comment.strip():
        raise ValidationFailed("Укажите замечания к проекту.", field="comment")
    with transition(Action.RETURN_DRAFT, case=case, actor=actor, now=now) as t:
        draft = _review(t, draft_id, Draft.Status.RETURNED, StageKey.REWORK, comment.strip())
        t.payload["comment"] = draft.review_comment
    return draft
