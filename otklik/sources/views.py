"""Webhook endpoints: VK Callback API, the Telegram bot webhook and the MAX webhook subscription
(mounted at ``/hooks/``).

All are CSRF-exempt (the networks cannot send a token) and authenticated by the secret kept in
``Source.config`` instead: ``secret`` (and ``confirmation_code``) for a ``vk_callback`` source,
``webhook_secret`` (sent by Telegram in ``X-Telegram-Bot-Api-Secret-Token``, by MAX in
``X-Max-Bot-Api-Secret``) for a bot source. A source without a secret accepts nothing but VK's
confirmation request. A bot has one webhook: its updates go to every source on the same bot whose
chats they belong to, as with polling.

The messages go through ``message_ingest_batch`` like every other path in; if that fails the
answer is 500, so the network delivers the event again (nothing lost, and nothing duplicated
since ingestion is idempotent).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from otklik.domain.messages import IncomingMessage
from otklik.inbox.actions import message_ingest_batch
from otklik.inbox.models import Source
from otklik.sources.errors import MalformedPayload, WebhookRejected

log = logging.getLogger(__name__)


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def _payload(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None


def _ingest(source: Source, messages: list[IncomingMessage]) -> None:
    now = timezone.now()
    message_ingest_batch(source=source, items=messages, now=now)
    Source.objects.filter(pk=source.pk).update(
        status=Source.Status.OK, failure_count=0, last_success_at=now, last_polled_at=now, last_error=""
    )


@csrf_exempt
@require_POST
def vk_callback(request: HttpRequest, source_id: int) -> HttpResponse:
    """VK Callback API: answers the confirmation code to ``confirmation`` and ``ok`` otherwise
    (VK repeats an event until it gets exactly ``ok``)."""
    from otklik.sources.vk.parser import handle_callback

    source = Source.objects.filter(pk=source_id, kind=Source.Kind.VK_CALLBACK, enabled=True).first()
    if source is None:
        return _text("not found", 404)
    payload = _payload(request)
    if not isinstance(payload, dict):
        return _text("bad request", 400)
    config = source.config or {}
    group_ids = {abs(int(g)) for g in config.get("group_ids") or [] if str(g).lstrip("-").isdigit()}
    if group_ids and str(payload.get("group_id", "")).isdigit() and int(payload["group_id"]) not in group_ids:
        return _text("forbidden", 403)
    secret = str(config.get("secret") or "")
    if not secret and payload.get("type") != "confirmation":
        log.warning("vk callback for source %s rejected: no secret configured", source.pk)
        return _text("forbidden", 403)
    try:
        answer, messages = handle_callback(
            payload, confirmation_code=str(config.get("confirmation_code") or ""), secret=secret
        )
    except WebhookRejected:
        log.warning("vk callback for source %s: wrong secret", source.pk)
        return _text("forbidden", 403)
    except MalformedPayload as exc:
        log.warning("vk callback for source %s: %s", source.pk, exc)
        return _text("bad request", 400)
    if messages:
        from otklik.sources.connect import connector_for_source
        from otklik.sources.vk.names import with_author_names

        _ingest(source, with_author_names(source, messages, connector_for=connector_for_source))
    return _text(answer)


def _bot_webhook(
    request: HttpRequest,
    source_id: int,
    kind: str,
    parse: Callable[[dict[str, str], dict, dict], list[IncomingMessage]],
    chat_of: Callable[[IncomingMessage], int],
) -> HttpResponse:
    """One update of a bot's webhook: the source's secret is required; a malformed update is
    acknowledged and logged (the network would repeat a refused one for ever)."""
    source = Source.objects.filter(pk=source_id, kind=kind, enabled=True).first()
    if source is None:
        return _text("not found", 404)
    config = source.config or {}
    if not str(config.get("webhook_secret") or ""):
        return _text("forbidden", 403)
    payload = _payload(request)
    if not isinstance(payload, dict):
        return _text("bad request", 400)
    try:
        messages = parse(dict(request.headers), payload, config)
    except WebhookRejected:
        log.warning("%s webhook for source %s: wrong secret", kind, source.pk)
        return _text("forbidden", 403)
    except MalformedPayload as exc:
        log.warning("%s webhook for source %s: skipped: %s", kind, source.pk, exc)
        return JsonResponse({"ok": True})
    _ingest_for_bot(source, messages, chat_of)
    return JsonResponse({"ok": True})


@csrf_exempt
@require_POST
def telegram_webhook(request: HttpRequest, source_id: int) -> HttpResponse:
    """Telegram webhook: one Update per request; any 2xx answer acknowledges it."""
    from otklik.sources.telegram.parser import handle_webhook, parse_external_id

    def parse(headers: dict[str, str], payload: dict, config: dict) -> list[IncomingMessage]:
        return handle_webhook(
            headers,
            payload,
            secret_token=str(config["webhook_secret"]),
            include_channel_posts=bool(config.get("include_channel_posts", False)),
        )

    return _bot_webhook(request, source_id, Source.Kind.TELEGRAM, parse, lambda m: parse_external_id(m.external_id)[0])


@csrf_exempt
@require_POST
def max_webhook(request: HttpRequest, source_id: int) -> HttpResponse:
    """MAX webhook (``POST /subscriptions`` with this URL, HTTPS only, and ``secret``)."""
    from otklik.sources.max.parser import handle_webhook, parse_external_id

    def parse(headers: dict[str, str], payload: dict, config: dict) -> list[IncomingMessage]:
        return handle_webhook(headers, payload, secret=str(config["webhook_secret"]))

    return _bot_webhook(request, source_id, Source.Kind.MAX, parse, lambda m: parse_external_id(m.external_id).chat_id)


def _ingest_for_bot(source: Source, messages: list[IncomingMessage], chat_of: Any) -> None:
    """Hand a bot's webhook messages to every source on that bot by chat (``polling.route``)."""
    from django.db import transaction

    from otklik.sources.polling import bot_sources, route

    if not messages:
        return
    members = [s for s in bot_sources(source) if (s.config or {}).get("webhook_secret")] or [source]
    routed, lost = route(messages, members, chat_of)
    if lost:
        log.warning("bot webhook of source %s: messages from chats no source takes: %s", source.pk, sorted(lost))
    with transaction.atomic():
        for member in members:
            if routed[member.pk]:
                _ingest(member, routed[member.pk])
