"""The retention of citizens' personal data (152-ФЗ, ст. 5 ч. 7): after the administration's period,
the authors of handled messages are pseudonymised.

For each message whose case was closed (answered or refused) more than ``months_after_closed``
ago, or which was marked «не требует реагирования» without a case more than
``months_after_dismissed`` ago:

* the author's name becomes «Автор <code>», the id ``psd:<code>``, the profile link is removed —
  the code is a keyed hash of (network, author id or name), the same for all messages of one
  author, so statistics still group by author and repeats (П.17) are still found;
* the raw payload from the network is purged, in the message and in each of its revisions, and the
  parent's author in ``context``;
* the texts are kept (statistics, the case's history).

A run is idempotent (a pseudonymised message is never touched again) and recorded as a
``RetentionRun`` with its counts, also in a dry run, which changes nothing.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from otklik.inbox.models import Message, MessageRevision
from otklik.organization.models import Administration

from .models import RetentionPolicy, RetentionRun

log = logging.getLogger(__name__)

PREFIX = "psd:"
BATCH = 500
#: Keys of ``context`` (what the network showed of the parent) that name a person.
PERSONAL_KEYS = frozenset({"author_name", "author_id", "author_url", "author", "from", "user", "username"})


def _key() -> bytes:
    return str(getattr(settings, "OTKLIK_PSEUDONYM_KEY", "") or settings.SECRET_KEY).encode()


def pseudonym_code(network: str, author_id: str, author_name: str = "") -> str:
    """A stable, keyed code of an author: the same for every message of theirs; not reversible."""
    who = author_id or (f"name:{author_name.strip().lower()}" if author_name.strip() else "")
    if not who:
        return ""
    return hmac.new(_key(), f"otklik.privacy:{network}:{who}".encode(), hashlib.sha256).hexdigest()[:16]


def pseudonym_id(network: str, author_id: str, author_name: str = "") -> str:
    code = pseudonym_code(network, author_id, author_name)
    return f"{PREFIX}{code}" if code else f"{PREFIX}-"


def policy_for(administration: Administration) -> RetentionPolicy:
    """The administration's policy, or the default one (not saved) when none was set."""
    policy = RetentionPolicy.objects.filter(administration=administration).first()
    if policy is None:
        defaults = getattr(settings, "OTKLIK_RETENTION_DEFAULTS", {}) or {}
        policy = RetentionPolicy(administration=administration, **defaults)
    return policy


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day if shorter)."""
    years, month = divmod(moment.month - 1 - months, 12)
    year = moment.year + years
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def due_messages(administration: Administration, policy: RetentionPolicy, now: dt.datetime) -> Any:
    closed_before = months_before(now, policy.months_after_closed)
    dismissed_before = months_before(now, policy.months_after_dismissed)
    due = Q(case__closed_at__lte=closed_before) | Q(
        case__isnull=True, status=Message.Status.DISMISSED, dismissed_at__lte=dismissed_before
    )
    rows = Message.objects.filter(due, administration=administration).exclude(author_id__startswith=PREFIX)
    return rows, closed_before, dismissed_before


def _scrub_context(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("" if k in PERSONAL_KEYS else _scrub_context(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_context(v) for v in value]
    return value


def _pseudonymise(message: Message) -> str:
    code = pseudonym_code(message.network, message.author_id, message.author_name)
    message.author_id = f"{PREFIX}{code}" if code else f"{PREFIX}-"
    message.author_name = f"Автор {code[:8]}" if code else ""
    message.author_url = ""
    message.raw = {}
    message.context = _scrub_context(message.context or {})
    return code


@dataclass
class Counts:
    messages: int = 0
    revisions: int = 0
    authors: int = 0


def _apply(rows: Any, *, dry_run: bool) -> Counts:
    counts, authors = Counts(), set()
    ids = list(rows.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        with transaction.atomic():
            batch = list(Message.objects.select_for_update().filter(pk__in=chunk).exclude(author_id__startswith=PREFIX))
            for message in batch:
                code = _pseudonymise(message)
                if code:
                    authors.add(code)
            revisions = MessageRevision.objects.filter(message__in=[m.pk for m in batch]).exclude(raw={})
            if dry_run:
                counts.revisions += revisions.count()
                transaction.set_rollback(True)
            else:
                Message.objects.bulk_update(batch, ["author_id", "author_name", "author_url", "raw", "context"])
                counts.revisions += revisions.update(raw={})
            counts.messages += len(batch)
    counts.authors = len(authors)
    return counts


def _forget_caches(administration: Administration) -> None:
    """The repeat index keeps ``network:author_id``: rebuilt from the pseudonymised rows."""
    from otklik.triage.services.repeats import snapshot_path

    snapshot_path(administration).unlink(missing_ok=True)


def apply_retention(
    *,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    administration: Administration | None = None,
    trigger: str = "command",
    actor: Any = None,
) -> list[RetentionRun]:
    """Run the retention for one administration or all active ones; one ``RetentionRun`` each."""
    now = now or timezone.now()
    targets = [administration] if administration else list(Administration.objects.filter(is_active=True))
    runs = []
    for adm in targets:
        policy = policy_for(adm)
        run = RetentionRun(administration=adm, started_at=timezone.now(), dry_run=dry_run, trigger=trigger, actor=actor)
        if policy.action == RetentionPolicy.Action.KEEP:
            run.error = "Политика хранения отключена: данные не обезличиваются."
        else:
            rows, run.closed_before, run.dismissed_before = due_messages(adm, policy, now)
            try:
                counts = _apply(rows, dry_run=dry_run)
            except Exception as exc:  # recorded, and the other administrations still run
                log.exception("retention failed for %s", adm.slug)
                run.error = str(exc)[:2000]
            else:
                run.messages, run.revisions, run.authors = counts.messages, counts.revisions, counts.authors
                if counts.messages and not dry_run:
                    _forget_caches(adm)
        run.finished_at = timezone.now()
        run.save()
        log.info(
            "retention %s%s: %s messages, %s authors, %s revisions",
            adm.slug,
            " (dry run)" if dry_run else "",
            run.messages,
            run.authors,
            run.revisions,
        )
        runs.append(run)
    return runs
