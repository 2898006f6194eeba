"""The networks messages come from (П.1, 4) and the answer format each one allows (П.18).

Pure data: no Django. Length limits are the networks' own: a Telegram text message holds 4096
characters and a photo caption 1024; a VK comment is limited by VK to 16 384 bytes in practice we
keep 4096 characters so an answer stays readable; OK comments are limited to 4096 characters.
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


NETWORKS: dict[str, Network] = {
    n.code: n
    for n in (
        Network("vk", "ВКонтакте", 4096, None, True),
        Network("ok", "Одноклассники", 4096, None, False),
        Network("telegram", "Telegram", 4096, 1024, True),
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
