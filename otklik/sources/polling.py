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
- status: success -> ``ok`` with ``failure_count`` 0; any failure -> ``failing`` at once, with
  the reason in ``last_error`` and ``failure_count + 1`` (a source that silently stopped is the
  loss we must not have). Items the parser skipped are noted in ``last_error`` but do not fail
  the poll.
- bots (Telegram, MAX): a bot has one update queue, so every enabled polled source on one bot
  token is polled together (``poll_bot``): one ``fetch`` per bot, each message handed to every
  source whose chats it belongs to, all of them committed, and only then the offset (marker)
  saved for the bot — an update is never confirmed before it is stored. A gap between polls
  longer than the network keeps updates (Telegram: 24 h) and a webhook next to polling are
  shown as the source's ``warning``.

Over 400 lines for a stated reason: single-source polling, bot polling and the «Проверить» check
share one crash-safety protocol (claim, ingest, compare-and-set of the cursor, status and
``last_error``) through the same private helpers; split, the protocol described above would be
spread over modules that each keep only part of it.
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

FAILING_AFTER = 1  # the status changes on the first failure
MAX_PAGES = 20  # pages per poll; the rest waits for the next poll (the cursor is saved per page)
POLLED_KINDS = (Source.Kind.VK, Source.Kind.TELEGRAM, Source.Kind.MAX, Source.Kind.OK, Source.Kind.FEED)
BOT_KINDS = (Source.Kind.TELEGRAM, Source.Kind.MAX)
UPDATES_KEPT = {Source.Kind.TELEGRAM: dt.timedelta(hours=24), Source.Kind.MAX: dt.timedelta(hours=24)}
GAP_MARK = "Опрос не выполнялся"
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
    """Network sources are polled; a bot in webhook mode (``config.webhook_secret``) is not."""
    if source.kind not in POLLED_KINDS:
        return False
    return not (source.kind in BOT_KINDS and (source.config or {}).get("webhook_secret"))


def bot_token(source: Source) -> str:
    return source.token or str((source.config or {}).get("token") or "")


def bot_sources(source: Source) -> list[Source]:
    """Every enabled source on the same bot (kind, token, API address), the lowest id first."""
    candidates = Source.objects.filter(kind=source.kind, enabled=True, base_url=source.base_url).order_by("pk")
    token = bot_token(source)
    return [s for s in candidates if bot_token(s) == token]


def source_chats(source: Source, keys: tuple[str, ...] = ("chat_ids", "channel_ids")) -> set[int]:
    config = source.config or {}
    chats: set[int] = set()
    for key in keys:
        value = config.get(key) or []
        for chat in value.replace(";", ",").split(",") if isinstance(value, str) else value:
            if str(chat).strip().lstrip("-").isdigit():
                chats.add(int(str(chat).strip()))
    return chats


def route(messages: list[Any], sources: list[Source], chat_of: Any) -> tuple[dict[int, list[Any]], set[int]]:
    """Each message to every source whose chats it belongs to (a source without chats takes all);
    the chats no source takes."""
    routed: dict[int, list[Any]] = {s.pk: [] for s in sources}
    chats = {s.pk: source_chats(s) for s in sources}
    unrouted: set[int] = set()
    for message in messages:
        chat = chat_of(message)
        targets = [s for s in sources if not chats[s.pk] or chat in chats[s.pk]]
        for target in targets:
            routed[target.pk].append(message)
        if not targets:
            unrouted.add(chat)
    return routed, unrouted


def polled_sources() -> list[Source]:
    """The sources a beat polls: one per bot (the others on that bot are polled with it)."""
    out: list[Source] = []
    seen_bots: set[tuple[str, str, str]] = set()
    for source in Source.objects.filter(enabled=True, kind__in=POLLED_KINDS).order_by("pk"):
        if not is_polled(source):
            continue
        if source.kind in BOT_KINDS:
            key = (source.kind, bot_token(source), source.base_url)
            if key in seen_bots:
                continue
            seen_bots.add(key)
        out.append(source)
    return out


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
    log.warning("source %s: %s", source.pk, message)
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
    a second poll of it while the first runs does nothing and says so. The sources of one bot
    share its update queue, so they share one lock (the bot's token)."""
    from otklik.core import coordination

    source = source if isinstance(source, Source) else Source.objects.get(pk=source)
    name = f"poll-source:{source.pk}"
    if source.kind in BOT_KINDS and source.token:
        name = "poll-bot:" + coordination.credential_key(str(source.kind), source.token)
    with coordination.lock(name, ttl=POLL_LOCK_TTL) as held:
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
    if source.kind in BOT_KINDS:
        results = poll_bot(source, now=now, connector=connector)
        return results.get(source.pk) or result
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


def poll_bot(source: Source, *, now: dt.datetime | None = None, connector: Any = None) -> dict[int, PollResult]:
    """Poll one bot for every source on it: one update queue, many chats (see the module doc)."""
    from django.db import transaction

    from otklik.sources.connect import connector_for_source
    from otklik.sources.errors import ConfigurationError, SourceError

    members = [s for s in bot_sources(source) if is_polled(s)] or [source]
    leader = members[0]
    claim = now or timezone.now()
    results = {s.pk: PollResult(source_id=s.pk, name=s.name) for s in members}
    Source.objects.filter(pk__in=[s.pk for s in members]).update(last_polled_at=claim)
    for member in members:
        member.last_polled_at = claim
    cursor = _bot_cursor(members)
    warnings = _bot_warnings(source, members, claim)
    unrouted: set[int] = set()
    own_connector = connector is None
    try:
        try:
            if connector is None:
                connector = connector_for_source(leader, overrides={"chat_ids": []})
            for _page in range(MAX_PAGES):
                connector.has_more = False
                messages, new_cursor = connector.fetch(cursor)
                routed, lost = route(messages, members, connector.chat_of)
                unrouted |= lost
                with transaction.atomic():  # every source's batch, or none: then nothing is confirmed
                    ingested = {
                        m.pk: message_ingest_batch(source=m, items=routed[m.pk], now=now or timezone.now())
                        for m in members
                    }
                for member in members:
                    res, done = results[member.pk], ingested[member.pk]
                    res.pages += 1
                    res.fetched += len(routed[member.pk])
                    res.created += len(done.created)
                    res.duplicates += done.duplicates
                    res.invalid += len(done.errors)
                    res.skipped.extend(f"{ext or '—'}: {why}" for ext, why in done.errors)
                results[leader.pk].skipped.extend(getattr(connector, "last_skipped", []) or [])
                # Committed for every source: only now is the bot's offset (marker) moved on.
                if not _save_bot_cursor(members, claim, new_cursor):
                    break
                cursor = new_cursor
                if not getattr(connector, "has_more", False) or not messages:
                    break
            if hasattr(connector, "fetch_channels"):
                for member in members:
                    _poll_channels(member, connector, claim, results[member.pk], now)
        finally:
            if own_connector and connector is not None:
                connector.close()
    except (ConfigurationError, SourceError) as exc:
        for member in members:
            results[member.pk].error = str(exc)
            _fail(member, str(exc), permanent=isinstance(exc, ConfigurationError))
        return results
    except Exception as exc:
        for member in members:
            results[member.pk].error = f"внутренняя ошибка: {exc.__class__.__name__}: {exc}"
            _fail(member, results[member.pk].error, permanent=False)
        log.exception("bot of source %s: poll crashed", source.pk)
        raise
    if unrouted:
        chats = ", ".join(str(c) for c in sorted(unrouted))
        warnings.append(f"Бот получил сообщения из чатов, которых нет ни в одном источнике: {chats}.")
    for member in members:
        note = _note(results[member.pk].skipped, [])
        Source.objects.filter(pk=member.pk).update(
            status=Source.Status.OK,
            failure_count=0,
            last_success_at=now or timezone.now(),
            last_error=note,
            warning="\n".join(warnings),
        )
        member.status, member.failure_count, member.last_error = Source.Status.OK, 0, note
        member.warning = "\n".join(warnings)
        results[member.pk].ok = True
    return results


def _poll_channels(member: Source, connector: Any, claim: dt.datetime, result: PollResult, now: Any) -> None:
    """MAX channels: the comments under their posts are read per source (``channels`` cursor)."""
    chats = source_chats(member, ("channel_ids",))
    if not chats:
        return
    member.refresh_from_db(fields=["cursor"])
    state = dict((member.cursor or {}).get("channels") or {})
    messages, state = connector.fetch_channels(sorted(chats), state)
    done = message_ingest_batch(source=member, items=messages, now=now or timezone.now())
    result.fetched += len(messages)
    result.created += len(done.created)
    result.duplicates += done.duplicates
    result.invalid += len(done.errors)
    Source.objects.filter(pk=member.pk, last_polled_at=claim).update(
        cursor={**(member.cursor or {}), "channels": state}
    )


def _bot_cursor(members: list[Source]) -> dict:
    """The bot's position: the furthest of its sources' (a lower one is confirmed already)."""
    best: dict = {}
    for member in members:
        cursor = {k: v for k, v in (member.cursor or {}).items() if k != "channels"}
        for key in ("offset", "marker"):
            if cursor.get(key) is not None and int(cursor[key]) > int(best.get(key) or 0):
                best = cursor
    return dict(best)


def _save_bot_cursor(members: list[Source], claim: dt.datetime, cursor: dict) -> bool:
    saved = False
    for member in members:
        merged = {**(member.cursor or {}), **cursor}
        if Source.objects.filter(pk=member.pk, last_polled_at=claim).update(cursor=merged):
            member.cursor = merged
            saved = True
    return saved


def _bot_warnings(source: Source, members: list[Source], claim: dt.datetime) -> list[str]:
    warnings: list[str] = []
    kept = UPDATES_KEPT.get(source.kind)  # type: ignore[call-overload]
    last = max((m.last_success_at for m in members if m.last_success_at), default=None)
    previous = next((w for m in members for w in (m.warning or "").splitlines() if w.startswith(GAP_MARK)), "")
    if kept and last is not None and claim - last > kept:
        hours = int((claim - last).total_seconds() // 3600)
        warnings.append(
            f"{GAP_MARK} {hours} ч — дольше, чем сеть хранит обновления ({int(kept.total_seconds() // 3600)} ч): "
            "сообщения за это время могли не дойти. Просмотрите чаты вручную; предупреждение снимается проверкой."
        )
    elif previous:
        warnings.append(previous)  # kept until a person checks the source
    token = bot_token(source)
    hooked = Source.objects.filter(kind=source.kind, enabled=True).exclude(config__webhook_secret=None)
    if any(bot_token(s) == token and (s.config or {}).get("webhook_secret") for s in hooked):
        warnings.append("У этого бота настроены и опрос, и webhook: сеть отдаёт обновления только одному способу.")
    return warnings


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
    _report, error = check_source_report(source, timeout=timeout)
    return error


def check_source_report(source: Source, *, timeout: float = 10.0, save: bool = True) -> tuple[Any, str | None]:
    """«Проверить»: what the network says about the source's settings (``CheckReport``), or the
    error. With ``save`` a stored source's status and warning follow the check at once."""
    import httpx

    from otklik.sources.base import RetryPolicy
    from otklik.sources.connect import connector_for_source
    from otklik.sources.errors import SourceError

    http = httpx.Client(timeout=httpx.Timeout(timeout))
    report: Any = None
    error: str | None = None
    try:
        connector = connector_for_source(source, http=http)
        connector.retry = RetryPolicy(max_attempts=2, base_delay=0.3)
        report = connector.check()
    except SourceError as exc:
        error = str(exc)
    except Exception as exc:  # a check must report, never crash the list
        error = f"{exc.__class__.__name__}: {exc}"
    finally:
        http.close()
    if save and source.pk:
        if error:
            _fail(source, error, permanent=True)
        else:
            warning = "\n".join(report.warnings) if report is not None else ""
            Source.objects.filter(pk=source.pk).update(warning=warning)
            source.warning = warning
    return report, error


def checked_sources() -> Any:
    """Sources ``otklik sources check`` checks: enabled network ones (a Callback API source only
    if it has a token, for publishing)."""
    return (
        Source.objects.filter(enabled=True, kind__in=[*POLLED_KINDS, Source.Kind.VK_CALLBACK])
        .exclude(kind=Source.Kind.VK_CALLBACK, token="")
        .select_related("administration")
        .order_by("administration__name", "name")
    )
