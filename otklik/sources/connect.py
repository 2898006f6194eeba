"""Build a connector for a stored ``inbox.Source``: its settings, token and base URL.

The base URL comes from the source, else from settings (``OTKLIK_VK_API_URL`` ...), so the demo
and the tests can point every source at a fake server.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from otklik.inbox.models import Source
from otklik.sources.base import HttpApi
from otklik.sources.errors import ConfigurationError
from otklik.sources.registry import get_connector

_KIND_NETWORK = {
    Source.Kind.VK: "vk",
    Source.Kind.VK_CALLBACK: "vk",
    Source.Kind.TELEGRAM: "telegram",
    Source.Kind.MAX: "max",
    Source.Kind.OK: "ok",
    Source.Kind.FEED: "feed",
}

_DEFAULT_BASE = {
    "vk": "OTKLIK_VK_API_URL",
    "telegram": "OTKLIK_TELEGRAM_API_URL",
    "ok": "OTKLIK_OK_API_URL",
    "max": "OTKLIK_MAX_API_URL",
}


def source_network(source: Source) -> str:
    network = _KIND_NETWORK.get(source.kind)  # type: ignore[call-overload]
    if network is None:
        raise ConfigurationError(f"Источник «{source.name}» не опрашивается по сети.", source=source.name)
    return network


def connector_for_source(source: Source, *, overrides: dict[str, Any] | None = None, **kwargs: Any) -> HttpApi:
    """``overrides`` replace settings for this connector only (the bot poller reads every chat)."""
    network = source_network(source)
    config: dict[str, Any] = {**(source.config or {}), **(overrides or {})}
    if source.token:
        config.setdefault("token" if network != "ok" else "access_token", source.token)
    base_url = source.base_url or getattr(settings, _DEFAULT_BASE.get(network, ""), None) or None
    try:
        connector = get_connector(network, config, base_url=base_url, **kwargs)
    except ConfigurationError as exc:
        raise ConfigurationError(f"Источник «{source.name}»: {exc}", source=source.name) from exc
    return _share_rate_limit(connector, network, source, config)


def _share_rate_limit(connector: HttpApi, network: str, source: Source, config: dict[str, Any]) -> HttpApi:
    """Every process calling the network with this credential shares one rate (``OTKLIK_RATE_LIMITS``)."""
    from otklik.core import coordination

    rate = coordination.network_rate(network)
    credential = str(config.get("token") or config.get("access_token") or config.get("url") or source.pk)
    if rate > 0:
        key = coordination.credential_key(network, credential)
        connector.send = coordination.rate_limited(  # type: ignore[method-assign]
            connector.send, key=key, rate=rate, burst=max(1.0, rate), sleep=connector.sleep
        )
    return connector


def publisher_for_source(source: Source, **kwargs: Any) -> HttpApi:
    return connector_for_source(source, **kwargs)
