"""П.18 — the answer's photos and videos: uploaded for a draft while the case is open, by the
curator or an executor who works on the case; the type is checked by the file's content, not by
its name, and each type has a size limit. An upload is not a workflow action: it writes no event
until a draft that carries it is submitted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from otklik.core.errors import IllegalTransition, ValidationFailed
from otklik.organization.services import Actor

from ..models import Attachment, Case
from .assignments import actor_assignment
from .contract import lock_case, resolve_now, same_tenant

ALLOWED_ATTACHMENT_TYPES = {
    "image/jpeg": 10 * 1024 * 1024,
    "image/png": 10 * 1024 * 1024,
    "image/gif": 10 * 1024 * 1024,
    "image/webp": 10 * 1024 * 1024,
    "video/mp4": 200 * 1024 * 1024,
    "video/quicktime": 200 * 1024 * 1024,
    "video/webm": 200 * 1024 * 1024,
}

_MAGIC = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
    b"\x1aE\xdf\xa3": "video/webm",
}


def sniff_content_type(head: bytes) -> str | None:
    for magic, ctype in _MAGIC.items():
        if head.startswith(magic):
            return ctype
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:10] == b"qt" else "video/mp4"
    return None


def case_attach_file(*, case: Case, actor: Actor, upload: Any, now: dt.datetime | None = None) -> Attachment:
    """Upload a photo or video for a draft; the type is checked by content, not by name."""
    now = resolve_now(now)
    head = upload.read(16)
    upload.seek(0)
    ctype = sniff_content_type(head)
    if ctype is None or ctype not in ALLOWED_ATTACHMENT_TYPES:
        raise ValidationFailed("Допускаются только фото (JPEG, PNG, GIF, WebP) и видео (MP4, MOV, WebM).", field="file")
    if upload.size > ALLOWED_ATTACHMENT_TYPES[ctype]:
        limit_mb = ALLOWED_ATTACHMENT_TYPES[ctype] // (1024 * 1024)
        raise ValidationFailed(f"Файл больше допустимого размера ({limit_mb} МБ).", field="file")
    with transaction.atomic():
        case = lock_case(case)
        same_tenant(case, actor)
        if not case.is_open:
            raise IllegalTransition(f"Обращение № {case.number} закрыто: вложения к нему не добавляются.")
        if not actor.is_curator:
            actor_assignment(case, actor)
        return Attachment.objects.create(
            case=case,
            file=upload,
            original_name=str(getattr(upload, "name", "file"))[:255],
            content_type=ctype,
            size=upload.size,
            uploaded_by_id=actor.user_id,
            uploaded_at=now,
        )
