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
        found = Attachment.objects.filter(
            case=t.case, pk__in=list(attachment_ids), draft__isnull=True, removed_at__isnull=True
        )
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
        # The previous version's attachments carry over, except those removed at review (the
        # curator's «уберите фото») or by the executor: those are never published.
        Attachment.objects.filter(draft=previous, removed_at__isnull=True).update(draft=draft)
    return draft


def _decide(t: CaseTransition, draft_id: int | None, status: Draft.Status, comment: str = "") -> Draft:
    """The curator's decision on the draft under review."""
    draft = t.case.drafts.filter(status=Draft.Status.REVIEW).order_by("-version").first()
    if draft is None or (draft_id is not None and draft.pk != draft_id):
        raise IllegalTransition("Этот проект уже рассмотрен.")
    draft.status = status
    draft.reviewed_by_id = t.actor_id
    draft.reviewed_at = t.now
    draft.review_comment = comment or draft.review_comment
    draft.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
    t.payload = {"draft_id": draft.pk, "version": draft.version}
    return draft


def _remove_attachments(t: CaseTransition, draft: Draft, ids: Sequence[int]) -> list[str]:
    """Mark the named attachments of ``draft`` removed (kept for the record, never published)."""
    if not ids:
        return []
    found = list(Attachment.objects.filter(draft=draft, pk__in=list(ids), removed_at__isnull=True))
    if len(found) != len(set(ids)):
        raise ValidationFailed("Вложение не найдено или уже убрано.", field="remove_attachment_ids")
    Attachment.objects.filter(pk__in=[a.pk for a in found]).update(removed_at=t.now, removed_by_id=t.actor_id)
    return [a.original_name for a in found]


def _norm(text: str) -> str:
    """A browser sends a textarea's line breaks as CRLF: the same text is not an edit."""
    return text.replace("\r\n", "\n").strip()


def case_approve(
    *,
    case: Case,
    actor: Actor,
    draft_id: int | None = None,
    text: str | None = None,
    measures_taken: str | None = None,
    remove_attachment_ids: Sequence[int] = (),
    now: dt.datetime | None = None,
) -> Draft:
    """П.12: the curator approves the draft; publication is due within ``publish`` (П.14).

    With ``text`` (or ``measures_taken``) that differ from the draft, or attachments to remove, the
    curator approves an edited answer: a new version, written by the curator and based on the
    executor's (which is kept, superseded), so that the executor sees what was changed. A typo is
    fixed without a rework round.
    """
    with transition(Action.APPROVE, case=case, actor=actor, now=now) as t:
        reviewed = t.case.drafts.filter(status=Draft.Status.REVIEW).order_by("-version").first()
        if reviewed is None:
            raise IllegalTransition("Этот проект уже рассмотрен.")
        new_text = reviewed.text if text is None else _norm(text)
        new_measures = reviewed.measures_taken if measures_taken is None else _norm(measures_taken)
        edited = (
            new_text != _norm(reviewed.text)
            or new_measures != _norm(reviewed.measures_taken)
            or bool(remove_attachment_ids)
        )
        if not edited:
            draft = _decide(t, draft_id, Draft.Status.APPROVED)
        else:
            _validate_draft(t.case, DraftKind(reviewed.kind), new_text, new_measures)
            base = _decide(t, draft_id, Draft.Status.SUPERSEDED)
            removed = _remove_attachments(t, base, remove_attachment_ids)
            draft = Draft.objects.create(
                case=t.case,
                department=base.department,
                kind=base.kind,
                version=t.case.drafts.count() + 1,
                text=new_text,
                measures_taken=new_measures,
                status=Draft.Status.APPROVED,
                author_id=actor.user_id,
                submitted_at=t.now,
                reviewed_by_id=t.actor_id,
                reviewed_at=t.now,
                based_on=base,
            )
            Attachment.objects.filter(draft=base, removed_at__isnull=True).update(draft=draft)
            t.payload = {
                "draft_id": draft.pk,
                "version": draft.version,
                "edited": True,
                "based_on": base.pk,
                "based_on_version": base.version,
                "removed_attachments": removed,
            }
        t.open(StageKey.PUBLISH, draft=draft, of_lead=True)
        queue_publication(t, draft)
    return draft


def case_return_draft(
    *,
    case: Case,
    actor: Actor,
    comment: str,
    draft_id: int | None = None,
    remove_attachment_ids: Sequence[int] = (),
    now: dt.datetime | None = None,
) -> Draft:
    """П.12–13: back to the executor for rework, with the curator's comments; the attachments the
    curator removes do not carry over to the reworked version (and are never published)."""
    if not comment.strip():
        raise ValidationFailed("Укажите замечания к проекту.", field="comment")
    with transition(Action.RETURN_DRAFT, case=case, actor=actor, now=now) as t:
        draft = _decide(t, draft_id, Draft.Status.RETURNED, comment.strip())
        removed = _remove_attachments(t, draft, remove_attachment_ids)
        t.open(StageKey.REWORK, draft=draft, of_lead=True)
        t.payload["comment"] = draft.review_comment
        if removed:
            t.payload["removed_attachments"] = removed
    return draft
