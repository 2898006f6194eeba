"""Sending a stored file (an attachment, a stored report) once a view has checked the person's rights.

Nothing under ``MEDIA_ROOT`` has a public URL, in any mode. Every download is an attachment, not
sniffed, and sandboxed, so that even a file that passed the upload checks cannot run as a page of
this site::

    Content-Disposition: attachment; filename="…"; filename*=UTF-8''…
    X-Content-Type-Options: nosniff
    Content-Security-Policy: sandbox; default-src 'none'; …
    Cross-Origin-Resource-Policy: same-origin
    Cache-Control: private, no-store

Behind a reverse proxy the proxy sends the bytes: with ``OTKLIK_X_ACCEL_REDIRECT_PREFIX`` (nginx,
e.g. ``/_protected/``) the response carries ``X-Accel-Redirect: /_protected/<path in MEDIA_ROOT>``,
with ``OTKLIK_X_SENDFILE`` (Apache mod_xsendfile, lighttpd) ``X-Sendfile: <absolute path>``.
nginx keeps Content-Type, Content-Disposition and Cache-Control from this response but not the
other headers, so its ``internal`` location must add ``X-Content-Type-Options`` and the CSP itself
(see README «Безопасность и резервные копии»).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from otklik.core.errors import NotFound

DOWNLOAD_CSP = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"


def protected_file_response(name: str, *, filename: str, content_type: str) -> HttpResponseBase:
    """The response sending ``name`` (a path inside MEDIA_ROOT) as a download named ``filename``."""
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / name).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound("Файл не найден.")
    relative = path.relative_to(root).as_posix()
    prefix = str(getattr(settings, "OTKLIK_X_ACCEL_REDIRECT_PREFIX", "") or "")
    response: HttpResponseBase
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(relative)
    elif getattr(settings, "OTKLIK_X_SENDFILE", False):
        response = HttpResponse(content_type=content_type)
        response["X-Sendfile"] = os.fsdecode(path)
    else:
        response = FileResponse(path.open("rb"), content_type=content_type)
    disposition = content_disposition_header(True, filename)
    if disposition:
        response["Content-Disposition"] = disposition
    return secure_download_headers(response)


def secure_download_headers(response: HttpResponseBase) -> HttpResponseBase:
    """The headers every download carries (also used for files rendered on the fly)."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response
