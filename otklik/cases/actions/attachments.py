"""П.18 — the answer's photos and videos: uploaded for a draft while the case is open, by the
curator or an executor who works on the case. The file is checked whole by ``cases.uploads``
(type by content, a size limit per type, images re-encoded, markup refused), never by its name.
An upload is not a workflow action: it writes no event until a draft that carries it is submitted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from otklik.core.errors import IllegalTransition, NotFound
from otklik.organization.services import Actor

from ..models import Attachment, Case, Draft
from ..uploads import ALLOWED_ATTACHMENT_TYPES, check_attachment, sniff_content_type
from .assignments import actor_assignment
from .contract import lock_case, resolve_now, same_tenant

__all__ = [
    "ALLOWED_ATTACHMENT_TYPES",
    "case_attach_file",
    "case_remove_attachment",
    "sniff_content_type",
]  # the package re-exports them


def case_attach_file(*, case: Case, actor: Actor, upload: Any, now: dt.datetime | None = None) -> Attachment:
    """Upload a photo or video for a draft: checked whole by ``uploads`` (never by its name)."""
    now = resolve_now(now)
    checked = check_attachment(upload)
    with transaction.atomic():
        case = lock_case(case)
        same_tenant(case, actor)
        if not case.is_open:
            raise IllegalTransition(f"Обращение № {case.number} закрыто: вложения к нему не добавляются.")
        if not actor.is_curator:
            actor_assignment(case, actor)
        return Attachment.objects.create(
            case=case,
            file=checked.content,
            original_name=checked.display_name[:255],
            content_type=checked.content_type,
            size=checked.size,
            uploaded_by_id=actor.user_id,
            uploaded_at=now,
        )


def case_remove_attachment(
    *, case: Case, actor: Actor, attachment_id: int, now: dt.datetime | None = None
) -> Attachment:
    """Take a photo or video out of the answer being prepared (kept for the record, П.20).

    Only a file not yet sent with a draft (or one of a draft returned for rework, which would
    otherwise carry over to the reworked version): what the curator has under review or approved
    is changed by the curator's own decision (``case_approve``/``case_return_draft``).
    """
    now = resolve_now(now)
    with transaction.atomic():
        case = lock_case(case)
        same_tenant(case, actor)
        if not case.is_open:
            raise IllegalTransition(f"Обращение № {case.number} закрыто: вложения к нему не меняются.")
        if not actor.is_curator:
            actor_assignment(case, actor)
        # The case row is locked: the attachments of the case change under it only.
        attachment = (
            Attachment.objects.select_related("draft")
            .filter(case=case, pk=attachment_id, removed_at__isnull=True)
            .first()
        )
        if attachment is None:
            raise NotFound("Вложение не найдено.")
        if attachment.draft is not None and attachment.draft.status != Draft.Status.RETURNED:
            raise IllegalTransition(
                f"«{attachment.original_name}» уже в проекте на согласовании или согласованном проекте: "
                "убрать его может куратор при согласовании."
            )
        attachment.removed_at = now
        attachment.removed_by_id = actor.user_id
        attachment.save(update_fields=["removed_at", "removed_by"])
        return attachment
