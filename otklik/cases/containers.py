"""Files walked end to end by their structure, for ``uploads.py`` (П.18): nothing may hide in them.

- images, before they are decoded: PNG chunks (each with its CRC, up to IEND) and GIF blocks (up to
  the trailer) must tile the file;
- videos (MP4, QuickTime, WebM), which we cannot decode without codecs we do not ship: every
  ISO-BMFF box or EBML element must be well formed and together they must cover the file exactly,
  so nothing can hide after the media; Matroska attachments (arbitrary embedded files) are refused.

Every check raises ``Malformed``; ``uploads.py`` turns that into the person's error.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import IO


class Malformed(Exception):
    """The container is not well formed: a box or element is cut, overlaps, or leaves bytes uncovered."""


def check_png_chunks(data: bytes) -> None:
    """Every chunk whole with a correct CRC, up to IEND (whatever follows is dropped on re-encoding)."""
    pos = 8
    while True:
        if pos + 12 > len(data):
            raise Malformed("PNG ends before IEND")
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > len(data):
            raise Malformed(f"PNG chunk {kind!r} runs past the end")
        if zlib.crc32(data[pos + 4 : end - 4]) != int.from_bytes(data[end - 4 : end], "big"):
            raise Malformed(f"PNG chunk {kind!r} has a wrong CRC")
        if kind == b"IEND":
            return
        pos = end


def check_gif_blocks(data: bytes) -> None:
    """Header, colour tables, extensions and images, each with its sub-blocks, up to the trailer."""

    def sub_blocks(pos: int) -> int:
        while True:
            if pos >= len(data):
                raise Malformed("GIF sub-blocks run past the end")
            size = data[pos]
            pos += 1 + size
            if size == 0:
                return pos

    if len(data) < 13:
        raise Malformed("GIF header")
    flags = data[10]
    pos = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    while True:
        if pos >= len(data):
            raise Malformed("GIF ends before its trailer")
        marker = data[pos]
        if marker == 0x3B:
            return
        if marker == 0x21:
            pos = sub_blocks(pos + 2)
        elif marker == 0x2C:
            if pos + 10 > len(data):
                raise Malformed("GIF image descriptor")
            local = data[pos + 9]
            pos += 10 + (3 * 2 ** ((local & 7) + 1) if local & 0x80 else 0)
            pos = sub_blocks(pos + 1)  # after the LZW minimum code size
        else:
            raise Malformed(f"GIF block {marker:#x}")


# What Pillow may carry from the decoded picture into the new file: nothing but how it is drawn
# (comments, EXIF, XMP and text chunks are dropped).


# ISO base media (MP4, QuickTime): boxes of (size, type[, largesize]) that must tile the file.
_BMFF_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"mvex", b"moof", b"traf", b"mfra"}


def _bmff_boxes(stream: IO[bytes], start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, box end) of each box in [start, end); raise unless they tile it exactly."""
    pos = start
    while pos < end:
        if end - pos < 8:
            raise Malformed("a box header runs past the end")
        stream.seek(pos)
        header = stream.read(8)
        box_size = int.from_bytes(header[:4], "big")
        box_type = header[4:8]
        if not all(0x20 <= b <= 0x7E for b in box_type):
            raise Malformed(f"box type {box_type!r}")
        payload = pos + 8
        if box_size == 1:
            large = stream.read(8)
            if len(large) < 8:
                raise Malformed("a large box header runs past the end")
            box_size = int.from_bytes(large, "big")
            payload += 8
        elif box_size == 0:
            box_size = end - pos
        if box_size < payload - pos or pos + box_size > end:
            raise Malformed(f"box {box_type!r} of {box_size} bytes at {pos}")
        yield box_type, payload, pos + box_size
        pos += box_size


def check_bmff(stream: IO[bytes], size: int) -> None:
    top = list(_bmff_boxes(stream, 0, size))
    if not top or top[0][0] != b"ftyp":
        raise Malformed("no ftyp box first")
    moov = [box for box in top if box[0] == b"moov"]
    if len(moov) != 1:
        raise Malformed("no single moov box")
    _, start, end = moov[0]
    children = [box_type for box_type, _s, _e in _bmff_walk(stream, start, end)]
    if b"mvhd" not in children:
        raise Malformed("no movie header")


def _bmff_walk(stream: IO[bytes], start: int, end: int, depth: int = 0) -> Iterator[tuple[bytes, int, int]]:
    if depth > 16:
        raise Malformed("boxes nested too deep")
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
        raise Malformed("an element runs past the end")
    b0 = first[0]
    length = 1
    while length <= 8 and not b0 & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        raise Malformed("a variable-length integer longer than 8 bytes")
    rest = stream.read(length - 1)
    if len(rest) < length - 1:
        raise Malformed("an element runs past the end")
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
        raise Malformed("an element ID longer than 4 bytes")
    size, size_len, unknown = _vint(stream, keep_marker=False)
    payload = pos + id_len + size_len
    if unknown:
        return element_id, payload, None
    if payload + size > end:
        raise Malformed(f"element {element_id:#x} of {size} bytes at {pos} runs past its parent")
    return element_id, payload, payload + size


def check_ebml(stream: IO[bytes], size: int) -> None:
    element_id, payload, header_end = _ebml_element(stream, 0, size)
    if element_id != _EBML_HEADER or header_end is None:
        raise Malformed("no EBML header")
    doctype = None
    pos = payload
    while pos < header_end:
        child, child_payload, child_end = _ebml_element(stream, pos, header_end)
        if child_end is None:
            raise Malformed("an unknown size in the EBML header")
        if child == _DOCTYPE:
            stream.seek(child_payload)
            doctype = stream.read(child_end - child_payload).rstrip(b"\x00")
        pos = child_end
    if doctype != b"webm":
        raise Malformed(f"doctype {doctype!r}")
    pos = header_end
    segments = 0
    while pos < size:
        element_id, payload, end = _ebml_element(stream, pos, size)
        if element_id == 0xEC:  # Void between top-level elements
            if end is None:
                raise Malformed("an unknown-size Void")
            pos = end
            continue
        if element_id != _SEGMENT:
            raise Malformed(f"top-level element {element_id:#x}")
        segments += 1
        pos = _check_segment(stream, payload, size if end is None else end)
    if segments == 0:
        raise Malformed("no segment")


def _check_segment(stream: IO[bytes], start: int, end: int) -> int:
    seen = set()
    pos = start
    while pos < end:
        element_id, payload, child_end = _ebml_element(stream, pos, end)
        if element_id not in _SEGMENT_CHILDREN:
            raise Malformed(f"segment element {element_id:#x}")
        if element_id == _ATTACHMENTS:
            raise Malformed("embedded attachments")
        seen.add(element_id)
        if child_end is None:
            if element_id != _CLUSTER:
                raise Malformed(f"an unknown size for {element_id:#x}")
            child_end = _unknown_size_cluster_end(stream, payload, end)
        pos = child_end
    if not {0x1549A966, 0x1654AE6B} <= seen:
        raise Malformed("no Info or no Tracks")
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
            raise Malformed(f"cluster element {element_id:#x}")
        _, _, child_end = _ebml_element(stream, pos, end)
        if child_end is None:
            raise Malformed("an unknown size inside a cluster")
        pos = child_end
    return end
