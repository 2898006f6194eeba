"""Build the right connector for a source from its settings dict.

``get_connector(network, config, *, base_url=None, http=None, sleep=None)``; ``base_url`` points a
connector at a fake server (tests, demo) or a proxy; ``http`` is a shared ``httpx.Client``.
Settings per network (unknown keys are ignored, missing required ones give
``ConfigurationError`` naming the source):

- ``vk``: ``token``, ``group_ids`` (communities: ids, short names or links), ``keywords``
  (newsfeed.search), ``window_days`` (30), ``recheck_minutes`` (60), ``recheck_per_poll`` (10),
  ``publish_as_group``, ``include_own_posts``;
- ``telegram``: ``token``, ``chat_ids`` (empty: every chat the bot is in), ``poll_timeout``,
  ``include_channel_posts``;
- ``max``: ``token``, ``chat_ids`` (group chats), ``channel_ids`` (channels whose post comments
  are read), ``poll_timeout``, ``window_days`` (7), ``recheck_minutes`` (30);
- ``ok``: ``application_key``, ``application_secret_key``, ``access_token``, ``group_ids``,
  ``window_days``, ``recheck_minutes``, ``recheck_per_poll``, ``publish_via_api``, ``bot_token``,
  ``session_secret_key`` (optional);
- ``feed``: ``url``, ``keywords``, ``patterns``, ``places``.

Common: ``base_url``, ``timeout`` (seconds), ``max_attempts``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from otklik.sources.base import HttpApi, RetryPolicy, SleepFn
from otklik.sources.errors import ConfigurationError

NETWORKS = ("vk", "telegram", "max", "ok", "feed")


def _list(value: Any) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    return list(value)


def get_connector(
    network: str,
    config: Mapping[str, Any],
    *,
    base_url: str | None = None,
    http: httpx.Client | None = None,
    sleep: SleepFn | None = None,
) -> HttpApi:
    config = dict(config or {})
    common: dict[str, Any] = {
        "base_url": base_url or config.get("base_url") or None,
        "http": http,
        "sleep": sleep,
        "timeout": float(config.get("timeout") or 15.0),
        "retry": RetryPolicy(max_attempts=int(config.get("max_attempts") or 4)),
    }
    try:
        if network == "vk":
            from otklik.sources.vk.client import VkClient

            return VkClient(
                token=str(config.get("token") or ""),
                group_ids=_list(config.get("group_ids")),
                keywords=[str(k) for k in _list(config.get("keywords"))],
                window_days=int(config.get("window_days") or 30),
                recheck_minutes=int(config.get("recheck_minutes") or 60),
                recheck_per_poll=int(str(config.get("recheck_per_poll", 10))),
                publish_as_group=bool(config.get("publish_as_group", True)),
                include_own_posts=bool(config.get("include_own_posts", False)),
                **common,
            )
        if network == "telegram":
            from otklik.sources.telegram.client import TelegramClient

            if config.get("poll_timeout"):
                common["timeout"] = max(common["timeout"], float(config["poll_timeout"]) + 10)
            return TelegramClient(
                token=str(config.get("token") or ""),
                chat_ids=[int(c) for c in _list(config.get("chat_ids"))],
                poll_timeout=int(config.get("poll_timeout") or 0),
                include_channel_posts=bool(config.get("include_channel_posts", False)),
                **common,
            )
        if network == "max":
            from otklik.sources.max.client import MaxClient

            if config.get("poll_timeout"):
                common["timeout"] = max(common["timeout"], float(config["poll_timeout"]) + 10)
            return MaxClient(
                token=str(config.get("token") or ""),
                chat_ids=[int(c) for c in _list(config.get("chat_ids"))],
                channel_ids=[int(c) for c in _list(config.get("channel_ids"))],
                poll_timeout=int(config.get("poll_timeout") or 0),
                window_days=int(config.get("window_days") or 7),
                recheck_minutes=int(config.get("recheck_minutes") or 30),
                **common,
            )
        if network == "ok":
            from otklik.sources.ok.client import OkClient

            return OkClient(
                application_key=str(config.get("application_key") or ""),
                application_secret_key=str(config.get("application_secret_key") or ""),
                access_token=str(config.get("access_token") or ""),
                group_ids=[str(g) for g in _list(config.get("group_ids"))],
                topics_depth=int(config.get("topics_depth") or 20),
                window_days=int(config.get("window_days") or 30),
                recheck_minutes=int(config.get("recheck_minutes") or 60),
                recheck_per_poll=int(str(config.get("recheck_per_poll", 10))),
                publish_via_api=bool(config.get("publish_via_api", False)),
                bot_token=str(config.get("bot_token") or ""),
                session_secret_key=str(config.get("session_secret_key") or ""),
                **common,
            )
        if network == "feed":
            from otklik.sources.feeds.client import FeedClient

            common.pop("base_url")
            return FeedClient(
                url=str(base_url or config.get("url") or ""),
                filters={
                    "keywords": _list(config.get("keywords")),
                    "patterns": _list(config.get("patterns")),
                    "places": _list(config.get("places")),
                },
                **common,
            )
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"неверные настройки источника: {exc}", source=network) from exc
    raise ConfigurationError(f"нет коннектора для сети «{network}»; есть: {', '.join(NETWORKS)}", source=network)
