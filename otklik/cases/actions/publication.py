"""П.14–15 — publication: the approved answer is published in the same network within ``publish``
(by the system itself where the network allows: the outbox, ``cases/publishing.py``), and where it
was published is recorded. A final answer closes the case; an interim answer or a clarification
request leaves it open, the final answer's draft due within ``final_after_interim`` (П.15).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from django.db import transaction

from otklik.core.errors import IllegalTransition, ValidationFailed
from otklik.core.validators import is_http_link
from otklik.domain.networks import network as network_info
from otklik.domain.workflow import Action, DraftKind, StageKey, State, state_after_publication
from otklik.organization.services import Actor

from ..models import Case, Draft, Publication
from .contract import CaseTransition, lock_case, transition

#: Hands a queued publication to the outbox after commit. ``CasesConfig.ready`` sets it to the
#: outbox's Celery task, so that the actions never import the outbox, which calls them.
_dispatch: Callable[[int], object] | None = None


def dispatch_publications_with(dispatch: Callable[[int], object]) -> None:
    global _dispatch
    _dispatch = dispatch


def _send(publication_id: int) -> None:
    if _dispatch is None:
        raise RuntimeError("No publication outbox is set: CasesConfig.ready() sets it.")
    _dispatch(publication_id)


def queue_publication(t: CaseTransition, draft: Draft) -> None:
    """П.14: an approved draft goes to the outbox where the system can answer in the network itself."""
    case = t.case
    if network_info(case.network).can_publish and case.messages.exclude(external_id="").exists():
        publication = Publication.objects.create(draft=draft, case=case, guid=uuid.uuid4().hex)
        pub_id = publication.pk
        t.after_commit(lambda: _send(pub_id))


def case_publish(
    *,
    case: Case,
    actor: Actor | None,
    url: str,
    external_id: str = "",
    now: dt.datetime | None = None,
) -> Draft:
    """П.14: the approved answer is published in the same network; record where.

    ``actor`` is None when the system published it itself through the connector. An answer closes
    the case; an interim answer or a clarification request leaves it open with the final answer's
    draft due within ``final_after_interim`` (П.15).
    """
    if not url.strip():
        raise ValidationFailed("Укажите ссылку на размещённый ответ.", field="url")
    if not is_http_link(url):
        raise ValidationFailed("Ссылка на ответ должна начинаться с http:// или https://.", field="url")
    with transition(Action.PUBLISH, case=case, actor=actor, now=now) as t:
        draft = t.case.drafts.filter(status=Draft.Status.APPROVED).order_by("-version").first()
        if draft is None:
            raise IllegalTransition("Нет согласованного ответа для размещения.")
        draft.status = Draft.Status.PUBLISHED
        draft.published_at = t.now
        draft.published_by_id = t.actor_id
        draft.published_url = url.strip()[:1000]
        draft.published_external_id = external_id[:255]
        draft.save(update_fields=["status", "published_at", "published_by", "published_url", "published_external_id"])
        Publication.objects.filter(draft=draft).exclude(status=Publication.Status.PUBLISHED).update(
            status=Publication.Status.PUBLISHED, url=draft.published_url, external_id=draft.published_external_id
        )
        t.target = state_after_publication(DraftKind(draft.kind))
        if t.target is State.CLOSED:
            t.case.closed_at = t.now
            t.save_fields("closed_at")
        else:
            t.open(StageKey.FINAL_AFTER_INTERIM, draft=draft, of_lead=True)
        t.payload = {
            "draft_id": draft.pk,
            "kind": draft.kind,
            "url": draft.published_url,
            "external_id": draft.published_external_id,
            "automatic": actor is None,
        }
    return draft


def case_publication_failed(*, publication: Publication, error: str, now: dt.datetime | None = None) -> Publication:
    """The connector cannot publish (permanently): the executor publishes by hand (П.14)."""
    with transaction.atomic():
        # The case row first, then the outbox row: the order case_publish takes them in.
        lock_case(publication.case)
        pub = Publication.objects.select_for_update().get(pk=publication.pk)
        if pub.status == Publication.Status.PUBLISHED:
            return pub
        with transition(Action.PUBLISH_FAILED, case=publication.case, actor=None, now=now) as t:
            pub.status = Publication.Status.MANUAL
            pub.last_error = error[:2000]
            pub.save(update_fields=["status", "last_error", "updated_at"])
            t.payload = {"error": pub.last_error, "draft_id": pub.draft_id}
    return pub
