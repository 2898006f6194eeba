"""The networks messages come from (П.1, 4) and the answer format each one allows (П.18).

Pure data: no Django. Length limits are the networks' own: a Telegram text message holds 4096
characters and a photo caption 1024; a VK comment is limited by VK to 16 384 bytes in practice we
keep 4096 characters so an answer stays readable; OK comments are limited to 4096 characters; a
MAX message holds 4000 characters (dev.max.ru, ``NewMessageBody.text``).

``answer_media`` is what the connector can publish together with an answer (photos, videos); for
anything else the executor is told to attach the files by hand (``media_published_by_hand``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Network:
    code: str
    title: str  # Russian, shown to people
    max_answer_length: int
    caption_length: int | None
    can_publish: bool  # the system can publish the answer itself through the API
    answer_media: tuple[str, ...] = ()  # attachment kinds published with the answer ("photo", "video")


NETWORKS: dict[str, Network] = {
    n.code: n
    for n in (
        Network("vk", "ВКонтакте", 4096, None, True, ("photo", "video")),
        Network("ok", "Одноклассники", 4096, None, False),
        Network("telegram", "Telegram", 4096, 1024, True, ("photo", "video")),
        Network("max", "MAX", 4000, None, True, ("photo", "video")),
        Network("blog", "Блоги и микроблоги", 10000, None, False),
        Network("video", "Видеохостинги", 5000, None, False),
        Network("forum", "Интернет-форумы", 10000, None, False),
        Network("review", "Отзовики", 5000, None, False),
        Network("messenger", "Мессенджеры", 4096, None, False),
        Network("feed", "Ленты RSS/Atom", 10000, None, False),
        Network("other", "Другое (телефон, личный приём)", 10000, None, False),
    )
}

NETWORK_CHOICES: list[tuple[str, str]] = [(n.code, n.title) for n in NETWORKS.values()]


def network(code: str) -> Network:
    return NETWORKS.get(code, NETWORKS["other"])


MEDIA_SUFFIXES: dict[str, tuple[str, ...]] = {
    "photo": (".jpg", ".jpeg", ".png", ".gif", ".webp"),
    "video": (".mp4", ".mov", ".webm", ".m4v", ".avi", ".mkv"),
}


def media_kind(filename: str, content_type: str = "") -> str:
    """``photo``, ``video`` or ``file`` for an attachment, by its MIME type, else by its name."""
    if content_type.startswith("image/"):
        return "photo"
    if content_type.startswith("video/"):
        return "video"
    lowered = filename.lower()
    for kind, suffixes in MEDIA_SUFFIXES.items():
        if lowered.endswith(suffixes):
            return kind
    return "file"


def media_published_by_hand(code: str, kinds: list[str] | tuple[str, ...]) -> list[str]:
    """Which of the answer's attachment kinds the executor must attach by hand in this network."""
    allowed = set(network(code).answer_media) if network(code).can_publish else set()
    return [k for k in kinds if k not in allowed]
