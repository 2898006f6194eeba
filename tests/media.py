"""Real media files made on the fly for upload tests: images by Pillow, video containers by hand.

The video containers are minimal but well formed (what ``otklik.cases.uploads`` walks): an MP4 is
``ftyp`` + ``moov``/``mvhd`` + ``mdat``; a WebM is the EBML header (DocType ``webm``) + a Segment
with Info, Tracks and one Cluster.
"""

from __future__ import annotations

import io
import struct


def image(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), frames: int = 1, **save: object) -> bytes:
    from PIL import Image

    pictures = [Image.new("RGB", size, (40 + 60 * i % 200, 120, 200 - 30 * i % 200)) for i in range(frames)]
    out = io.BytesIO()
    if frames > 1:
        save.update(save_all=True, append_images=pictures[1:], duration=100, loop=0)
    pictures[0].save(out, fmt, **save)  # type: ignore[arg-type]
    return out.getvalue()


def jpeg(**kw: object) -> bytes:
    return image("JPEG", **kw)  # type: ignore[arg-type]


def png(**kw: object) -> bytes:
    return image("PNG", **kw)  # type: ignore[arg-type]


def gif(**kw: object) -> bytes:
    return image("GIF", **kw)  # type: ignore[arg-type]


def webp(**kw: object) -> bytes:
    return image("WEBP", **kw)  # type: ignore[arg-type]


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(mdat: bytes = b"\x00" * 64, brand: bytes = b"isom") -> bytes:
    ftyp = box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + b"mp41")
    mvhd = box(b"mvhd", b"\x00" * 100)
    trak = box(b"trak", box(b"tkhd", b"\x00" * 84) + box(b"mdia", box(b"mdhd", b"\x00" * 24)))
    return ftyp + box(b"moov", mvhd + trak) + box(b"mdat", mdat)


def mov() -> bytes:
    return mp4(brand=b"qt  ")


def _ebml(element_id: int, payload: bytes, *, unknown_size: bool = False) -> bytes:
    id_bytes = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
    if unknown_size:
        size = b"\x01\xff\xff\xff\xff\xff\xff\xff"
    else:
        size = (0x10000000 | len(payload)).to_bytes(4, "big")  # a 4-byte size VINT
    return id_bytes + size + payload


def webm(*, unknown_cluster: bool = False, trailing: bytes = b"") -> bytes:
    header = _ebml(
        0x1A45DFA3,
        _ebml(0x4286, b"\x01") + _ebml(0x42F7, b"\x01") + _ebml(0x4282, b"webm") + _ebml(0x4287, b"\x04"),
    )
    info = _ebml(0x1549A966, _ebml(0x2AD7B1, b"\x0f\x42\x40"))
    tracks = _ebml(0x1654AE6B, _ebml(0xAE, _ebml(0xD7, b"\x01") + _ebml(0x86, b"V_VP8")))
    cluster = _ebml(
        0x1F43B675, _ebml(0xE7, b"\x00") + _ebml(0xA3, b"\x81\x00\x00\x80" + b"\x00" * 32), unknown_size=unknown_cluster
    )
    return header + _ebml(0x18538067, info + tracks + cluster) + trailing
