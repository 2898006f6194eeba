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

The stored name comes from the detected type (``<random>.jpg``); the name a person sees is their
own file name with that extension. Downloads are served by permission-checked views with their own
headers (``otklik.security.files``), so even a file that slipped through would not run as a page.
"""

from __future__ import annotations

import io
import re
import unicodedata
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.core.files.base import ContentFile, File

from otklik.core.errors import ValidationFailed

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
            _check_png_chunks(data)
        elif ctype == "image/gif":
            _check_gif_blocks(data)
    except _Malformed as exc:
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


def _check_png_chunks(data: bytes) -> None:
    """Every chunk whole with a correct CRC, up to IEND (whatever follows is dropped on re-encoding)."""
    pos = 8
    while True:
        if pos + 12 > len(data):
            raise _Malformed("PNG ends before IEND")
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > len(data):
            raise _Malformed(f"PNG chunk {kind!r} runs past the end")
        if zlib.crc32(data[pos + 4 : end - 4]) != int.from_bytes(data[end - 4 : end], "big"):
            raise _Malformed(f"PNG chunk {kind!r} has a wrong CRC")
        if kind == b"IEND":
            return
        pos = end


def _check_gif_blocks(data: bytes) -> None:
    """Header, colour tables, extensions and images, each with its sub-blocks, up to the trailer."""

    def sub_blocks(pos: int) -> int:
        while True:
            if pos >= len(data):
                raise _Malformed("GIF sub-blocks run past the end")
            size = data[pos]
            pos += 1 + size
            if size == 0:
                return pos

    if len(data) < 13:
        raise _Malformed("GIF header")
    flags = data[10]
    pos = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    while True:
        if pos >= len(data):
            raise _Malformed("GIF ends before its trailer")
        marker = data[pos]
        if marker == 0x3B:
            return
        if marker == 0x21:
            pos = sub_blocks(pos + 2)
        elif marker == 0x2C:
            if pos + 10 > len(data):
                raise _Malformed("GIF image descriptor")
            local = data[pos + 9]
            pos += 10 + (3 * 2 ** ((local & 7) + 1) if local & 0x80 else 0)
            pos = sub_blocks(pos + 1)  # after the LZW minimum code size
        else:
            raise _Malformed(f"GIF block {marker:#x}")


# What Pillow may carry from the decoded picture into the new file: nothing but how it is drawn
# (comments, EXIF, XMP and text chunks are dropped).
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
    try:
        if ctype == "video/webm":
            _check_ebml(stream, size)
        else:
            _check_bmff(stream, size)
    except _Malformed as exc:
        raise ValidationFailed(DAMAGED.format(kind="видео"), field="file") from exc


class _Malformed(Exception):
    pass


# ISO base media (MP4, QuickTime): boxes of (size, type[, largesize]) that must tile the file.
_BMFF_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"mvex", b"moof", b"traf", b"mfra"}


def _bmff_boxes(stream: IO[bytes], start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, box end) of each box in [start, end); raise unless they tile it exactly."""
    pos = start
    while pos < end:
        if end - pos < 8:
            raise _Malformed("a box header runs past the end")
        stream.seek(pos)
        header = stream.read(8)
        box_size = int.from_bytes(header[:4], "big")
        box_type = header[4:8]
        if not all(0x20 <= b <= 0x7E for b in box_type):
            raise _Malformed(f"box type {box_type!r}")
        payload = pos + 8
        if box_size == 1:
            large = stream.read(8)
            if len(large) < 8:
                raise _Malformed("a large box header runs past the end")
            box_size = int.from_bytes(large, "big")
            payload += 8
        elif box_size == 0:
            box_size = end - pos
        if box_size < payload - pos or pos + box_size > end:
            raise _Malformed(f"box {box_type!r} of {box_size} bytes at {pos}")
        yield box_type, payload, pos + box_size
        pos += box_size


def _check_bmff(stream: IO[bytes], size: int) -> None:
    top = list(_bmff_boxes(stream, 0, size))
    if not top or top[0][0] != b"ftyp":
        raise _Malformed("no ftyp box first")
    moov = [box for box in top if box[0] == b"moov"]
    if len(moov) != 1:
        raise _Malformed("no single moov box")
    _, start, end = moov[0]
    children = [box_type for box_type, _s, _e in _bmff_walk(stream, start, end)]
    if b"mvhd" not in children:
        raise _Malformed("no movie header")


def _bmff_walk(stream: IO[bytes], start: int, end: int, depth: int = 0) -> Iterator[tuple[bytes, int, int]]:
    if depth > 16:
        raise _Malformed("boxes nested too deep")
    for box_type, payload, box_end in _bmff_boxes(stream, start, end):
        yield box_type, payload, box_end
        if box_type in _BMFF_CONTAINERS:
            yield from _bmff_walk(stream, payload, box_end, depth + 1)


# EBML (WebM): elements of (ID, size) with variable-length integers; a size of all ones is unknown.
_EBML_HEADER = 0x1A45DFA3
_DOCTYPE = 0x4282
_SEGMENT = 0x18538067
_CLUSTER = 0x1F43B675
_ATTACHMENTS = 0x1941A469
_SEGMENT_CHILDREN = {
    0x114D9B74,  # SeekHead
    0x1549A966,  # Info
    0x1654AE6B,  # Tracks
    _CLUSTER,
    0x1C53BB6B,  # Cues
    0x1254C367,  # Tags
    0x1043A770,  # Chapters
    0xEC,  # Void
    0xBF,  # CRC-32
    _ATTACHMENTS,
}
_CLUSTER_CHILDREN = {0xE7, 0xA7, 0xAB, 0xA3, 0xA0, 0xAF, 0xEC, 0xBF, 0x5854}


def _vint(stream: IO[bytes], *, keep_marker: bool) -> tuple[int, int, bool]:
    """(value, length, all value bits set) of one EBML variable-length integer."""
    first = stream.read(1)
    if not first:
        raise _Malformed("an element runs past the end")
    b0 = first[0]
    length = 1
    while length <= 8 and not b0 & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        raise _Malformed("a variable-length integer longer than 8 bytes")
    rest = stream.read(length - 1)
    if len(rest) < length - 1:
        raise _Malformed("an element runs past the end")
    value = b0 if keep_marker else b0 & (0xFF >> length)
    for b in rest:
        value = (value << 8) | b
    ones = (1 << (7 * length)) - 1
    return value, length, (not keep_marker and value == ones)


def _ebml_element(stream: IO[bytes], pos: int, end: int) -> tuple[int, int, int | None]:
    """(ID, payload start, payload end or None when unknown) of the element at ``pos``."""
    stream.seek(pos)
    element_id, id_len, _ = _vint(stream, keep_marker=True)
    if id_len > 4:
        raise _Malformed("an element ID longer than 4 bytes")
    size, size_len, unknown = _vint(stream, keep_marker=False)
    payload = pos + id_len + size_len
    if unknown:
        return element_id, payload, None
    if payload + size > end:
        raise _Malformed(f"element {element_id:#x} of {size} bytes at {pos} runs past its parent")
    return element_id, payload, payload + size


def _check_ebml(stream: IO[bytes], size: int) -> None:
    element_id, payload, header_end = _ebml_element(stream, 0, size)
    if element_id != _EBML_HEADER or header_end is None:
        raise _Malformed("no EBML header")
    doctype = None
    pos = payload
    while pos < header_end:
        child, child_payload, child_end = _ebml_element(stream, pos, header_end)
        if child_end is None:
            raise _Malformed("an unknown size in the EBML header")
        if child == _DOCTYPE:
            stream.seek(child_payload)
            doctype = stream.read(child_end - child_payload).rstrip(b"\x00")
        pos = child_end
    if doctype != b"webm":
        raise _Malformed(f"doctype {doctype!r}")
    pos = header_end
    segments = 0
    while pos < size:
        element_id, payload, end = _ebml_element(stream, pos, size)
        if element_id == 0xEC:  # Void between top-level elements
            if end is None:
                raise _Malformed("an unknown-size Void")
            pos = end
            continue
        if element_id != _SEGMENT:
            raise _Malformed(f"top-level element {element_id:#x}")
        segments += 1
        pos = _check_segment(stream, payload, size if end is None else end)
    if segments == 0:
        raise _Malformed("no segment")


def _check_segment(stream: IO[bytes], start: int, end: int) -> int:
    seen = set()
    pos = start
    while pos < end:
        element_id, payload, child_end = _ebml_element(stream, pos, end)
        if element_id not in _SEGMENT_CHILDREN:
            raise _Malformed(f"segment element {element_id:#x}")
        if element_id == _ATTACHMENTS:
            raise _Malformed("embedded attachments")
        seen.add(element_id)
        if child_end is None:
            if element_id != _CLUSTER:
                raise _Malformed(f"an unknown size for {element_id:#x}")
            child_end = _unknown_size_cluster_end(stream, payload, end)
        pos = child_end
    if not {0x1549A966, 0x1654AE6B} <= seen:
        raise _Malformed("no Info or no Tracks")
    return end


def _unknown_size_cluster_end(stream: IO[bytes], start: int, end: int) -> int:
    """A live-recorded cluster (size unknown) ends where the next segment-level element begins."""
    pos = start
    while pos < end:
        stream.seek(pos)
        element_id, _, _ = _vint(stream, keep_marker=True)
        if element_id in _SEGMENT_CHILDREN:
            return pos
        if element_id not in _CLUSTER_CHILDREN:
            raise _Malformed(f"cluster element {element_id:#x}")
        _, _, child_end = _ebml_element(stream, pos, end)
        if child_end is None:
            raise _Malformed("an unknown size inside a cluster")
        pos = child_end
    return end
