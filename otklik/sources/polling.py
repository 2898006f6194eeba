"""Polling of network sources: fetch with the connector, ingest, then save the cursor.

The Celery tasks in ``otklik.sources.tasks`` are thin wrappers over this module; tests and the
``otklik sources poll`` command call it directly.

Crash safety, lock-free:

- each page a connector returns is ingested by ``message_ingest_batch`` in one transaction, and
  the cursor is saved only after that transaction has committed. A crash before the commit
  re-fetches the page on the next run (nothing lost); a crash between the commit and the cursor
  save re-fetches it too and ingestion is idempotent on ``(source, external_id)`` (nothing
  duplicated);
- a poll claims the source by stamping ``last_polled_at``; the cursor is saved only while the
  stamp is still ours (a compare-and-set), so when two polls of one source overlap only the later
  one moves the cursor and it never goes backwards past a newer poll's position;
- status: success -> ``ok`` with ``failure_count`` 0; ``ConfigurationError`` -> ``failing`` at
  once (a person must fix the settings, retrying does not help); transient errors and rate
  limits -> ``failure_count + 1`` and ``failing`` after ``FAILING_AFTER`` in a row. Items the
  parser skipped are noted in ``last_error`` but do not fail the poll.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from otklik.inbox.actions import message_ingest_batch
from otklik.inbox.models import Source

log = logging.getLogger(__name__)

FAILING_AFTER = 3
MAX_PAGES = 20  # pages per poll; the rest waits for the next poll (the cursor is saved per page)
POLLED_KINDS = (Source.Kind.VK, Source.Kind.TELEGRAM, Source.Kind.OK, Source.Kind.FEED)
MAX_NOTE = 2000


@dataclass
class PollResult:
    source_id: int
    name: str = ""
    ok: bool = False
    polled: bool = True
    pages: int = 0
    fetched: int = 0
    created: int = 0
    duplicates: int = 0
    invalid: int = 0
    skipped: list[str] = field(default_factory=list)
    error: str = ""

    def line(self) -> str:
        if not self.polled:
            return f"{self.name}: не опрашивается ({self.error})"
        if not self.ok:
            return f"{self.name}: ОШИБКА — {self.error}"
        text = f"{self.name}: получено {self.fetched}, новых {self.created}, повторов {self.duplicates}"
        if self.invalid or self.skipped:
            text += f", пропущено {self.invalid + len(self.skipped)}"
        return text


def is_polled(source: Source) -> bool:
    """Network sources are polled; a Telegram bot in webhook mode (``config.webhook_secret``) is not."""
    if source.kind not in POLLED_KINDS:
        return False
    return not (source.kind == Source.Kind.TELEGRAM and (source.config or {}).get("webhook_secret"))


def polled_sources() -> list[Source]:
    return [s for s in Source.objects.filter(enabled=True, kind__in=POLLED_KINDS).order_by("pk") if is_polled(s)]


def _note(skipped: list[str], invalid: list[tuple[str, str]]) -> str:
    """A short note on what was skipped, kept in ``last_error`` of a successful poll."""
    reasons = list(skipped) + [f"{ext or '—'}: {why}" for ext, why in invalid]
    if not reasons:
        return ""
    return f"Опрос успешен; пропущено элементов: {len(reasons)} (например: {reasons[0]})"[:MAX_NOTE]


def _fail(source: Source, message: str, *, permanent: bool) -> None:
    """Record a failed poll; ``permanent`` (configuration) turns the source failing at once."""
    count = source.failure_count + 1
    status = Source.Status.FAILING if permanent or count >= FAILING_AFTER else source.status
    Source.objects.filter(pk=source.pk).update(
        failure_count=F("failure_count") + 1, last_error=message[:MAX_NOTE], status=status
    )
    source.failure_count, source.last_error, source.status = count, message[:MAX_NOTE], status


#: Longer than any poll (MAX_PAGES pages with retries): a worker that died frees the lock then.
POLL_LOCK_TTL = 15 * 60


def poll_source(source: Source | int, *, now: dt.datetime | None = None, connector: Any = None) -> PollResult:
    """Poll one source now (synchronously). ``connector`` replaces the one built from the
    source's settings (tests). Never raises for a source's own failure: it is recorded.

    A source is polled by one process at a time, on whichever machine (``coordination.lock``);
    a second poll of it while the first runs does nothing and says so."""
    from otklik.core import coordination

    source = source if isinstance(source, Source) else Source.objects.get(pk=source)
    with coordination.lock(f"poll-source:{source.pk}", ttl=POLL_LOCK_TTL) as held:
        if not held:
            result = PollResult(source_id=source.pk, name=source.name, polled=False)
            result.error = "источник сейчас опрашивает другой обработчик"
            return result
        return _poll_source(source, now=now, connector=connector)


def _poll_source(source: Source, *, now: dt.datetime | None, connector: Any) -> PollResult:
    from otklik.sources.connect import connector_for_source
    from otklik.sources.errors import ConfigurationError, SourceError

    result = PollResult(source_id=source.pk, name=source.name)
    if not source.enabled or not is_polled(source):
        result.polled = False
        result.error = "источник отключён" if not source.enabled else "данные приходят без опроса"
        return result
    claim = now or timezone.now()
    Source.objects.filter(pk=source.pk).update(last_polled_at=claim)
    source.last_polled_at = claim
    cursor: dict = dict(source.cursor or {})
    invalid: list[tuple[str, str]] = []
    own_connector = connector is None
    try:
        try:
            if connector is None:
                connector = connector_for_source(source)
            while result.pages < MAX_PAGES:
                connector.has_more = False
                messages, new_cursor = connector.fetch(cursor)
                result.pages += 1
                result.fetched += len(messages)
                result.skipped.extend(getattr(connector, "last_skipped", []) or [])
                ingested = message_ingest_batch(source=source, items=messages, now=now or timezone.now())
                # The batch is committed: only now may the cursor move on.
                result.created += len(ingested.created)
                result.duplicates += ingested.duplicates
                result.invalid += len(ingested.errors)
                invalid.extend(ingested.errors)
                if not _save_cursor(source, claim, new_cursor):
                    log.info("source %s: a newer poll owns the cursor; stopping", source.pk)
                    break
                cursor = new_cursor
                if not getattr(connector, "has_more", False) or not messages:
                    break
        finally:
            if own_connector and connector is not None:
                connector.close()
    except ConfigurationError as exc:
        result.error = str(exc)
        _fail(source, result.error, permanent=True)
        log.warning("source %s: configuration error: %s", source.pk, exc)
        return result
    except SourceError as exc:  # transient, rate limited, malformed answers
        result.error = str(exc)
        _fail(source, result.error, permanent=False)
        log.warning("source %s: poll failed (%d in a row): %s", source.pk, source.failure_count, exc)
        return result
    except Exception as exc:  # a bug or the database: recorded, then raised for the worker log
        result.error = f"внутренняя ошибка: {exc.__class__.__name__}: {exc}"
        _fail(source, result.error, permanent=False)
        log.exception("source %s: poll crashed", source.pk)
        raise
    for reason in result.skipped:
        log.warning("source %s: skipped: %s", source.pk, reason)
    note = _note(result.skipped, invalid)
    Source.objects.filter(pk=source.pk).update(
        status=Source.Status.OK, failure_count=0, last_success_at=now or timezone.now(), last_error=note
    )
    source.status, source.failure_count, source.last_error = Source.Status.OK, 0, note
    result.ok = True
    return result


def _save_cursor(source: Source, claim: dt.datetime, cursor: dict) -> bool:
    """Compare-and-set: save only while this poll's claim is the latest one."""
    saved = Source.objects.filter(pk=source.pk, last_polled_at=claim).update(cursor=cursor)
    if saved:
        source.cursor = cursor
    return bool(saved)


def claim_due_sources(now: dt.datetime | None = None) -> list[int]:
    """The enabled network sources whose ``last_polled_at + poll_interval <= now``; each one is
    claimed (``last_polled_at`` set to ``now`` by a compare-and-set) so two beats never enqueue
    the same source twice."""
    now = now or timezone.now()
    due: list[int] = []
    for source in polled_sources():
        pk, last, interval = source.pk, source.last_polled_at, source.poll_interval
        if last is not None and last + dt.timedelta(seconds=max(interval, 10)) > now:
            continue
        stale = Q(last_polled_at__isnull=True) if last is None else Q(last_polled_at=last)
        if Source.objects.filter(stale, pk=pk).update(last_polled_at=now):
            due.append(pk)
    return due


def check_source(source: Source, *, timeout: float = 10.0) -> str | None:
    """Credentials and reachability of one source: ``None`` when fine, else the Russian error."""
    import httpx

    from otklik.sources.base import RetryPolicy
    from otklik.sources.connect import connector_for_source
    from otklik.sources.errors import SourceError

    http = httpx.Client(timeout=httpx.Timeout(timeout))
    try:
        connector = connector_for_source(source, http=http)
        connector.retry = RetryPolicy(max_attempts=2, base_delay=0.3)
        connector.check()
    except SourceError as exc:
        return str(exc)
    except Exception as exc:  # a check must report, never crash the list
        return f"{exc.__class__.__name__}: {exc}"
    finally:
        http.close()
    return None


def checked_sources() -> Any:
    """Sources ``otklik sources check`` checks: enabled network ones (a Callback API source only
    if it has a token, for publishing)."""
    return (
        Source.objects.filter(enabled=True, kind__in=[*POLLED_KINDS, Source.Kind.VK_CALLBACK])
        .exclude(kind=Source.Kind.VK_CALLBACK, token="")
        .select_related("administration")
        .order_by("administration__name", "name")
    )
