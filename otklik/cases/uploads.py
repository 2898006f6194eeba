"""Checking a photo or video before it is attached to a draft (П.18).

A file is judged by what it is, never by its name: the first bytes give the claimed type, and the
whole file must then parse as that type.

- **Images** (JPEG, PNG, GIF, WebP) are decoded frame by frame with Pillow and stored *re-encoded*:
  whatever rode along in comments, metadata or after the image's end (a script, an HTML page, the
  photo's GPS position) is not kept. Orientation from EXIF is applied first, so photos stay upright.
- **Videos** (MP4, QuickTime, WebM) cannot be decoded without codecs we do not ship; their container
  is walked end to end instead: every ISO-BMFF box or EBML element must be well formed and together
  they must cover the file exactly, so nothing can hide after the media. Matroska attachments
  (arbitrary embedded files) are refused.
- **Markup** anywhere in a file (``<script``, ``<html``, ``<iframe``, ``<svg onload`` …) refuses it,
  before and after re-encoding: a GIF that is also an HTML page is a polyglot, not a picture.

The structure walks (PNG chunks, GIF blocks, video boxes and elements) are in ``containers.py``.

The stored name comes from the detected type (``<random>.jpg``); the name a person sees is their
own file name with that extension. Downloads are served by permission-checked views with their own
headers (``otklik.security.files``), so even a file that slipped through would not run as a page.
"""

from __future__ import annotations

import io
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import IO, Any

from django.core.files.base import ContentFile, File

from otklik.core.errors import ValidationFailed

from .containers import Malformed, check_bmff, check_ebml, check_gif_blocks, check_png_chunks

MB = 1024 * 1024
ALLOWED_ATTACHMENT_TYPES = {
    "image/jpeg": 10 * MB,
    "image/png": 10 * MB,
    "image/gif": 10 * MB,
    "image/webp": 10 * MB,
    "video/mp4": 200 * MB,
    "video/quicktime": 200 * MB,
    "video/webm": 200 * MB,
}
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
}
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}

# Decoding limits: a 10 MB file can still unpack into gigabytes of pixels.
MAX_PIXELS = 60_000_000
MAX_FRAMES = 500
MAX_DECODED_PIXELS = 300_000_000

WRONG_TYPE = "Допускаются только фото (JPEG, PNG, GIF, WebP) и видео (MP4, MOV, WebM)."
DAMAGED = "Файл повреждён или не является {kind}: его не удалось прочитать целиком."
MARKUP = "Файл содержит HTML-разметку или скрипт: такие файлы не принимаются."

_MAGIC = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
    b"\x1aE\xdf\xa3": "video/webm",
}

# Markup a browser would run if it took the file for a page. Each pattern is six bytes or more
# (or needs an attribute after it), so that compressed media — random-looking bytes — does not trip
# it by chance: a six-byte pattern turns up in about one 200 MB video in ten thousand, a five-byte
# one (``<svg `` alone) in one in a hundred.
_MARKUP = re.compile(
    rb"<(?:script|iframe|object|embed|frameset|html[\s/>]|body[\s/>]|head[\s/>]|meta\s+http-equiv"
    rb"|!doctype\s+html|svg[^>]{0,200}?(?:\son\w+\s*=|xmlns)|img[^>]{0,200}?\son\w+\s*="
    rb"|a\s[^>]{0,200}?href\s*=\s*[\"']?\s*javascript:|\?xml-stylesheet)",
    re.IGNORECASE,
)
_SCAN_CHUNK = 1 * MB
_SCAN_OVERLAP = 512


@dataclass(frozen=True)
class CheckedUpload:
    """What is stored: the content (re-encoded for images), its type and size, and a display name."""

    content: File
    content_type: str
    size: int
    display_name: str


def sniff_content_type(head: bytes) -> str | None:
    """The type the first bytes claim (at least 16 are needed), or None."""
    for magic, ctype in _MAGIC.items():
        if head.startswith(magic):
            return ctype
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:10] == b"qt" else "video/mp4"
    return None


def check_attachment(upload: Any) -> CheckedUpload:
    """Check an uploaded file whole; raise ``ValidationFailed`` (field ``file``) saying why not."""
    size = int(upload.size)
    if size > max(ALLOWED_ATTACHMENT_TYPES.values()):
        raise ValidationFailed(_too_big(max(ALLOWED_ATTACHMENT_TYPES.values())), field="file")
    upload.seek(0)
    ctype = sniff_content_type(upload.read(16))
    upload.seek(0)
    if ctype is None or ctype not in ALLOWED_ATTACHMENT_TYPES:
        raise ValidationFailed(WRONG_TYPE, field="file")
    if size > ALLOWED_ATTACHMENT_TYPES[ctype]:
        raise ValidationFailed(_too_big(ALLOWED_ATTACHMENT_TYPES[ctype]), field="file")
    if carries_markup(upload):
        raise ValidationFailed(MARKUP, field="file")
    name = stored_name(ctype)
    if ctype.startswith("image/"):
        upload.seek(0)
        data = reencode_image(upload.read(), ctype)
        if _MARKUP.search(data):
            raise ValidationFailed(MARKUP, field="file")
        content: File = ContentFile(data, name=name)
        size = len(data)
    else:
        check_video_container(upload, size, ctype)
        upload.seek(0)
        content = File(upload, name=name)
    return CheckedUpload(
        content=content,
        content_type=ctype,
        size=size,
        display_name=display_name(getattr(upload, "name", "") or "", ctype),
    )


def _too_big(limit: int) -> str:
    return f"Файл больше допустимого размера ({limit // MB} МБ)."


def stored_name(ctype: str) -> str:
    """A random name with the detected type's extension: never the uploaded name."""
    return f"{uuid.uuid4().hex}.{EXTENSIONS[ctype]}"


def display_name(uploaded: str, ctype: str) -> str:
    """The person's own file name, without folders or control characters, with the real extension."""
    base = re.split(r"[\\/]", uploaded)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    stem = base.rsplit(".", 1)[0].strip() if "." in base else base
    return f"{(stem or 'файл')[:120]}.{EXTENSIONS[ctype]}"


def carries_markup(stream: IO[bytes]) -> bool:
    """Whether HTML or script markup occurs anywhere in the file (read in chunks, with overlap)."""
    stream.seek(0)
    tail = b""
    while True:
        chunk = stream.read(_SCAN_CHUNK)
        if not chunk:
            return False
        window = tail + chunk
        if _MARKUP.search(window):
            return True
        tail = window[-_SCAN_OVERLAP:]


# --------------------------------------------------------------------------------------------
# images


def reencode_image(data: bytes, ctype: str) -> bytes:
    """Decode every frame and write the picture anew in the same format; raise if it does not decode."""
    from PIL import Image, ImageOps, ImageSequence

    damaged = ValidationFailed(DAMAGED.format(kind="изображением"), field="file")
    try:
        # Pillow stops reading PNG and GIF where the picture is complete enough: their chunk and
        # block structure is walked here to the end marker (JPEG and WebP refuse truncation).
        if ctype == "image/png":
            check_png_chunks(data)
        elif ctype == "image/gif":
            check_gif_blocks(data)
    except Malformed as exc:
        raise damaged from exc
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format != PILLOW_FORMATS[ctype]:
                raise damaged
            width, height = img.size
            frames = int(getattr(img, "n_frames", 1))
            if width * height > MAX_PIXELS or frames > MAX_FRAMES or width * height * frames > MAX_DECODED_PIXELS:
                raise ValidationFailed("Изображение слишком большое: уменьшите его и загрузите снова.", field="file")
            if frames > 1:
                pictures = [frame.copy() for frame in ImageSequence.Iterator(img)]
                durations = [int(frame.info.get("duration", 100) or 100) for frame in pictures]
            else:
                img.load()
                pictures = [ImageOps.exif_transpose(img) or img]
                durations = []
            icc = img.info.get("icc_profile")
            loop = img.info.get("loop", 0)
    except ValidationFailed:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise damaged from exc
    return _encode(pictures, ctype, icc=icc, durations=durations, loop=loop)


_KEPT_INFO = {"transparency", "background", "duration", "disposal"}


def _encode(pictures: list[Any], ctype: str, *, icc: bytes | None, durations: list[int], loop: int) -> bytes:
    for picture in pictures:
        picture.info = {k: v for k, v in picture.info.items() if k in _KEPT_INFO}
    first, rest = pictures[0], pictures[1:]
    out = io.BytesIO()
    options: dict[str, Any] = {}
    if icc:
        options["icc_profile"] = icc
    if ctype == "image/jpeg":
        if first.mode not in ("RGB", "L"):
            first = first.convert("RGB")
        first.save(out, "JPEG", quality=90, optimize=True, **options)
    elif ctype == "image/png":
        if rest:
            options.update(save_all=True, append_images=rest, duration=durations, loop=loop)
        first.save(out, "PNG", **options)
    elif ctype == "image/gif":
        if rest:
            options.update(save_all=True, append_images=rest, duration=durations, loop=loop)
        options.pop("icc_profile", None)
        first.save(out, "GIF", **options)
    else:
        if rest:
            options.update(save_all=True, append_images=rest, duration=durations, loop=loop)
        first.save(out, "WEBP", quality=90, **options)
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# videos: the container, walked end to end


def check_video_container(stream: IO[bytes], size: int, ctype: str) -> None:
    """Walk the container end to end (``videos.py``); a malformed one is refused as damaged."""
    try:
        if ctype == "video/webm":
            check_ebml(stream, size)
        else:
            check_bmff(stream, size)
    except Malformed as exc:
        raise ValidationFailed(DAMAGED.format(kind="видео"), field="file") from exc
