"""The publication outbox (П.14): an approved answer is published by the system where it can be.

Rules: a publication that succeeded is never sent again (its row says so, under a row lock); VK
de-duplicates on ``guid`` so its timeouts are retried; other networks have no such key, so an
ambiguous failure (a timeout after sending) is handed to the executor to check and publish by
hand rather than risk a double post. A permanent refusal also goes back to the executor.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from otklik.core.errors import ApplicationError
from otklik.domain.messages import PublishRequest
from otklik.domain.networks import media_kind
from otklik.domain.networks import network as network_info
from otklik.inbox.models import Message, Source

from . import actions
from .models import Publication

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
STALE_SENDING = dt.timedelta(minutes=10)
IDEMPOTENT_NETWORKS = {"vk"}  # VK de-duplicates on guid; Telegram and MAX have no such key


@dataclass(frozen=True)
class Outcome:
    status: str
    retry_in: float | None = None
    error: str = ""


def _reply_target(publication: Publication) -> Message | None:
    return (
        Message.objects.filter(case_id=publication.case_id, network=publication.case.network)
        .exclude(source__kind__in=[Source.Kind.MANUAL, Source.Kind.API, Source.Kind.FILE])
        .order_by("published_at", "id")
        .first()
    )


def publish(publication_id: int, *, now: dt.datetime | None = None) -> Outcome:
    from otklik.sources.connect import publisher_for_source
    from otklik.sources.errors import CannotPublish, ConfigurationError, RateLimited, SourceError, TransientSourceError

    with transaction.atomic():
        # Only the outbox row (of=self): PostgreSQL would otherwise lock the joined case and draft
        # too, in the opposite order from case_publish (case, then its publications) — two workers
        # publishing at once deadlocked on that (tests/integration/test_scale_out.py).
        pub = Publication.objects.select_for_update(of=("self",)).select_related("case", "draft").get(pk=publication_id)
        if pub.status in (Publication.Status.PUBLISHED, Publication.Status.MANUAL):
            return Outcome(pub.status)
        taken_over = False
        if pub.status == Publication.Status.SENDING:
            if pub.updated_at > (now or timezone.now()) - STALE_SENDING:
                # Another worker is sending it right now.
                return Outcome(pub.status)
            taken_over = True  # that worker died mid-send; we cannot know whether it got through
        if taken_over and pub.case.network not in IDEMPOTENT_NETWORKS:
            reason = (
                "Отправка ответа прервалась, и неизвестно, размещён ли он. "
                "Проверьте страницу в сети и при необходимости разместите ответ вручную."
            )
        else:
            reason = ""
            pub.status = Publication.Status.SENDING
            pub.attempts += 1
            pub.save(update_fields=["status", "attempts", "updated_at"])
    if reason:
        actions.case_publication_failed(publication=pub, error=reason, now=now)
        return Outcome(Publication.Status.MANUAL, error=reason)
    target = _reply_target(pub)
    if target is None:
        actions.case_publication_failed(
            publication=pub, error="Нет исходного сообщения из сети, на которое можно ответить.", now=now
        )
        return Outcome(Publication.Status.MANUAL)
    request = PublishRequest(
        network=target.network,
        reply_to_external_id=target.external_id,
        text=pub.draft.text,
        guid=pub.guid,
        # Photos and videos go with the answer where the network takes them (domain.networks
        # ``answer_media``); anything else the executor attaches by hand.
        attachments=tuple(
            Path(a.file.path)
            for a in pub.draft.attachments.all()
            if media_kind(a.original_name, a.content_type) in network_info(target.network).answer_media
        ),
    )
    publisher = None
    try:
        publisher = publisher_for_source(target.source)
        result = publisher.publish(request)
    except (CannotPublish, ConfigurationError) as exc:
        actions.case_publication_failed(publication=pub, error=str(exc), now=now)
        return Outcome(Publication.Status.MANUAL, error=str(exc))
    except (RateLimited, TransientSourceError) as exc:
        return _retry_or_manual(pub, exc, target.network, now=now)
    except SourceError as exc:
        actions.case_publication_failed(publication=pub, error=str(exc), now=now)
        return Outcome(Publication.Status.MANUAL, error=str(exc))
    except Exception as exc:  # a bug or a missing file: same rule as an ambiguous network failure
        log.exception("publication %s: unexpected error", pub.pk)
        return _retry_or_manual(pub, exc, target.network, now=now)
    finally:
        if publisher is not None:
            publisher.close()
    # Record the success on the outbox row first, in its own transaction: whatever happens to the
    # case afterwards, this publication is never sent again.
    Publication.objects.filter(pk=pub.pk).update(
        status=Publication.Status.PUBLISHED,
        url=result.url[:1000],
        external_id=result.external_id[:255],
        last_error="",
        next_attempt_at=None,
    )
    try:
        actions.case_publish(case=pub.case, actor=None, url=result.url, external_id=result.external_id, now=now)
    except ApplicationError as exc:
        # E.g. the executor published it by hand meanwhile: the answer is out, the case moved on.
        log.warning("publication %s: published at %s but the case was not updated: %s", pub.pk, result.url, exc)
    return Outcome(Publication.Status.PUBLISHED)


def _retry_or_manual(pub: Publication, exc: Exception, network: str, *, now: dt.datetime | None) -> Outcome:
    """A transient failure: retry later where a retry cannot post twice, else hand it over."""
    from otklik.sources.errors import RateLimited

    # A refusal (rate limit) means nothing was posted; anything else may hide a success, which
    # only a network that de-duplicates (VK guid) lets us retry safely.
    ambiguous = not isinstance(exc, RateLimited) and network not in IDEMPOTENT_NETWORKS
    if ambiguous or pub.attempts >= MAX_ATTEMPTS:
        reason = (
            f"Не удалось убедиться, что ответ размещён ({exc}). Проверьте сеть и разместите вручную."
            if ambiguous
            else f"Сеть не принимает ответ после {pub.attempts} попыток: {exc}"
        )
        actions.case_publication_failed(publication=pub, error=reason, now=now)
        return Outcome(Publication.Status.MANUAL, error=reason)
    retry_in = getattr(exc, "retry_after", None) or min(600.0, 30.0 * 2 ** (pub.attempts - 1))
    Publication.objects.filter(pk=pub.pk, status=Publication.Status.SENDING).update(
        status=Publication.Status.PENDING,
        last_error=str(exc)[:2000],
        next_attempt_at=(now or timezone.now()) + dt.timedelta(seconds=retry_in),
    )
    return Outcome(Publication.Status.PENDING, retry_in=retry_in, error=str(exc))
