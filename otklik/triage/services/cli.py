"""What ``otklik triage`` needs from the database: the administration's rubric, places, model,
earlier cases (for ``repeat_of``) and the departments of each topic."""

from __future__ import annotations

from dataclasses import dataclass

from otklik.organization.models import Administration
from otklik.triage.engine import Gazetteer, Refs, RepeatIndex, Rubric, TopicModel

from .context import _context
from .repeats import private_repeat_index


class AdministrationChoiceError(ValueError):
    """Several administrations and none chosen, or an unknown slug (shown to the user)."""


@dataclass(slots=True)
class CliParts:
    administration: str
    rubric: Rubric
    gazetteer: Gazetteer
    model: TopicModel | None
    index: RepeatIndex
    refs: Refs
    engine: str


def cli_parts(slug: str | None = None) -> CliParts | None:
    """The administration's rubric, gazetteer, model and earlier cases for ``otklik triage``.

    None when the database has no administrations (the CLI then uses the shipped defaults).
    Raises ``AdministrationChoiceError`` for an unknown slug or when several administrations
    exist and none is named.
    """
    if slug:
        adm = Administration.objects.filter(slug=slug).first()
        if adm is None:
            raise AdministrationChoiceError(f"администрация «{slug}» не найдена")
    else:
        found = list(Administration.objects.filter(is_active=True).order_by("id")[:2])
        if not found:
            return None
        if len(found) > 1:
            slugs = ", ".join(Administration.objects.order_by("slug").values_list("slug", flat=True)[:20])
            raise AdministrationChoiceError(f"в базе несколько администраций, укажите --administration ({slugs})")
        adm = found[0]
    ctx = _context(adm)
    st = private_repeat_index(adm)
    return CliParts(
        administration=adm.slug,
        rubric=ctx.triager.rubric,
        gazetteer=ctx.triager.gazetteer,
        model=ctx.triager.model,
        index=st.index,
        refs=Refs(
            topic_ids=ctx.refs.topic_ids,
            place_ids=ctx.refs.place_ids,
            case_number=st.numbers.get,
            topic_departments=ctx.refs.topic_departments,
        ),
        engine=ctx.engine,
    )
