"""Cases and everything that happens to them (П.6–20).

A case (обращение в работе) gathers the messages about one issue. Its state changes only through
the case actions (``cases/actions/``); every change writes an append-only ``CaseEvent``. Nothing
here is deleted.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from otklik.core.models import Undeletable
from otklik.core.validators import validate_http_url
from otklik.domain.workflow import (
    DRAFT_KIND_TITLES,
    IMPORTANCE_TITLES,
    OPEN_STATES,
    STATE_TITLES,
    DraftKind,
    Importance,
    State,
)
from otklik.organization.models import Administration, Department, Place, Topic

#: States without deadlines; "open" means "not one of these" (matches the partial index below).
CLOSED_STATES = sorted(s.value for s in set(State) - OPEN_STATES)


def open_condition() -> RawSQL:
    """``state NOT IN CLOSED_STATES`` as literal SQL, for ``QuerySet.filter``.

    The partial indexes below carry this condition; SQLite uses a partial index only when the
    query repeats its condition literally, and the ORM would send the states as bound parameters
    (PostgreSQL plans with the values either way). The states are our own constants.
    """
    states = ", ".join(f"'{s}'" for s in CLOSED_STATES)
    return RawSQL(f'NOT ("cases_case"."state" IN ({states}))', [], output_field=models.BooleanField())


STATE_CHOICES = [(s.value, _(t)) for s, t in STATE_TITLES.items()]
IMPORTANCE_CHOICES = [(i.value, _(t)) for i, t in IMPORTANCE_TITLES.items()]
DRAFT_KIND_CHOICES = [(k.value, _(t)) for k, t in DRAFT_KIND_TITLES.items()]


def search_key(text: str) -> str:
    """Text folded for case-insensitive search in Russian: lower case, «ё» as «е».

    SQLite's LIKE folds only ASCII letters, so ``icontains`` misses «Труба» for «труба»; searching a
    stored folded copy with a folded query works the same on SQLite and PostgreSQL.
    """
    return text.lower().replace("ё", "е")


class Case(Undeletable):
    administration = models.ForeignKey(Administration, on_delete=models.PROTECT, related_name="cases")
    number = models.PositiveIntegerField(_("номер"))
    state = models.CharField(_("состояние"), max_length=16, choices=STATE_CHOICES, default=State.TRIAGE)
    network = models.CharField(_("сеть"), max_length=16)
    summary = models.CharField(_("суть"), max_length=500, blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="cases", verbose_name=_("тематика"))
    place = models.ForeignKey(Place, on_delete=models.PROTECT, null=True, blank=True, related_name="cases")
    importance = models.CharField(_("важность"), max_length=16, choices=IMPORTANCE_CHOICES, default=Importance.NORMAL)
    significant = models.BooleanField(_("социально значимое (п. 23)"), default=False)
    detected_at = models.DateTimeField(_("выявлено"))
    detected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shortened_deadline = models.DateTimeField(_("сокращённый срок (п. 8)"), null=True, blank=True)
    answer_due_at = models.DateTimeField(_("срок ответа"), null=True, blank=True)
    next_deadline_at = models.DateTimeField(_("ближайший срок"), null=True, blank=True, db_index=True)
    next_stage = models.CharField(max_length=32, blank=True)
    # The rest of the list fields (``otklik.cases.listfields``): kept by the action path.
    next_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    next_amber_at = models.DateTimeField(null=True, blank=True, editable=False)
    next_red_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The open answer stage (П.10), while there is one: its deadline and the department it counts
    # for (its own, else the active lead's; none before routing: the curator's). The Head's
    # overdue answers of the month come from these (``refresh_derived`` keeps them).
    open_answer_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    open_answer_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    repeat_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="repeats", verbose_name=_("повтор")
    )
    search_text = models.TextField(editable=False, blank=True, default="")  # search_key(summary)
    refusal_reason = models.TextField(_("основание отказа (п. 19)"), blank=True)
    closed_at = models.DateTimeField(_("закрыто"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("обращение")
        verbose_name_plural = _("обращения")
        constraints = [models.UniqueConstraint(fields=["administration", "number"], name="case_number_unique")]
        indexes = [
            models.Index(fields=["administration", "state", "next_deadline_at"], name="case_board"),
            # A period's cases, and (covering) what the Head's figures count them by: their place,
            # network and number — PostgreSQL reads those from the index alone (its indexes do not
            # carry the row id as SQLite's do): 3.4 → 1.4 ms a count at 1,000,000 cases, five a page.
            models.Index(fields=["administration", "detected_at", "place", "network", "id"], name="case_period"),
            # Lists by deadline walk these in order and stop after a page (tests/bench/bench_api.py):
            # every case, and (``case_open_levels`` below) the open ones — the board, the overdue list.
            models.Index(fields=["administration", "next_deadline_at"], name="case_deadline"),
            # The open cases at one place, nearest deadline first (the context panel, the board's filter).
            models.Index(
                fields=["place", "next_deadline_at"],
                condition=~models.Q(state__in=CLOSED_STATES),
                name="case_open_place",
            ),
            # The open cases in deadline order, and what the board's colour counts read (a covering
            # index; with the network and the id, PostgreSQL too counts a network's, or joins a
            # topic's, from the index alone — SQLite's indexes carry the id anyway). The only
            # partial index of the open cases by deadline: beside a narrower one (adm, deadline),
            # SQLite's analysed planner took that one for the counts and read 32,809 rows from
            # the table (5.5 → 33 ms at 1,000,000 cases).
            models.Index(
                fields=["administration", "next_deadline_at", "next_red_at", "next_amber_at", "network", "id"],
                condition=~models.Q(state__in=CLOSED_STATES),
                name="case_open_levels",
            ),
            # П.23: the significant cases (0.2 % of all), open or detected in a period — the Head's alerts.
            models.Index(
                fields=["administration", "detected_at"], condition=models.Q(significant=True), name="case_significant"
            ),
            # The answers not given by a moment or due in a range (the Head's overdue answers by
            # department, the most overdue first; the deadlines missed this week and month).
            models.Index(
                fields=["administration", "open_answer_due_at", "open_answer_department"],
                condition=models.Q(open_answer_due_at__isnull=False),
                name="case_open_answer",
            ),
        ]
        ordering = ["-detected_at"]

    def __str__(self) -> str:
        return f"№ {self.number}"

    @property
    def is_open(self) -> bool:
        return self.state not in (State.CLOSED, State.REFUSED)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A derived column, kept in step with the summary whoever writes it.
        self.search_text = search_key(self.summary)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "summary" in update_fields and "search_text" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "search_text"]
        super().save(*args, **kwargs)


class Assignment(Undeletable):
    """A department's part in a case (П.8, 9, 16): the last in the order drafts the answer."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("поступило")
        ACCEPTED = "accepted", _("принято")
        RETURNED = "returned", _("возвращено куратору")
        CONTRIBUTED = "contributed", _("информация направлена")
        CANCELLED = "cancelled", _("отозвано")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assignments")
    # The case's administration, copied when the case is routed (a case never changes
    # administration): what each department received in a period is read from one index.
    administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="assignments")
    order = models.PositiveSmallIntegerField(_("очерёдность"))
    is_lead = models.BooleanField(_("готовит общий ответ"), default=False)
    status = models.CharField(_("состояние"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="assignments"
    )
    received_at = models.DateTimeField(_("поступило"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField(_("причина возврата"), blank=True)
    contribution = models.TextField(_("информация для общего ответа"), blank=True)
    contributed_at = models.DateTimeField(null=True, blank=True)
    contributed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A list field: whether the case is open, copied here by the action path with the case's other
    # list fields, so that a department's (or a person's) open cases are read from this index
    # without visiting the department's closed history.
    case_open = models.BooleanField(default=True, editable=False)

    class Meta:
        verbose_name = _("направление в подразделение")
        verbose_name_plural = _("направления в подразделения")
        ordering = ["case", "order"]
        indexes = [
            models.Index(fields=["department", "status"], name="assignment_department"),
            # Partial: only the open cases' rows, and usable on SQLite, whose planner does not take
            # an index on (department, case_open) for the bare ``WHERE case_open`` Django writes.
            models.Index(fields=["department"], condition=models.Q(case_open=True), name="assignment_open_dept"),
            models.Index(fields=["assignee"], condition=models.Q(case_open=True), name="assignment_open_person"),
            # The Head's figures count what each department received in a period.
            models.Index(fields=["administration", "received_at"], name="assignment_adm_received"),
            models.Index(fields=["status", "returned_at"], name="assignment_returned"),  # П.9 in the report
        ]

    def __str__(self) -> str:
        return f"{self.case} → {self.department}"

    #: A department's part no longer counts once returned to the curator or withdrawn:
    #: ``exclude(status__in=Assignment.ENDED)`` in queries, ``is_active`` on a row.
    ENDED = (Status.RETURNED, Status.CANCELLED)

    @property
    def is_active(self) -> bool:
        return self.status not in self.ENDED


class Draft(Undeletable):
    """A draft answer, interim answer or clarification request (П.11–14). Each version is kept."""

    class Status(models.TextChoices):
        REVIEW = "review", _("на согласовании")
        RETURNED = "returned", _("возвращён на доработку")
        APPROVED = "approved", _("согласован")
        PUBLISHED = "published", _("размещён")
        SUPERSEDED = "superseded", _("заменён новой редакцией")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="drafts")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="drafts")
    kind = models.CharField(_("вид"), max_length=16, choices=DRAFT_KIND_CHOICES, default=DraftKind.ANSWER)
    version = models.PositiveSmallIntegerField(_("редакция"), default=1)
    text = models.TextField(_("текст"))
    measures_taken = models.TextField(_("принятые меры (п. 17)"), blank=True)
    status = models.CharField(_("состояние"), max_length=16, choices=Status.choices, default=Status.REVIEW)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="drafts")
    submitted_at = models.DateTimeField(_("направлен"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(_("замечания куратора"), blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_url = models.URLField(_("ссылка на ответ"), max_length=1000, blank=True, validators=[validate_http_url])
    published_external_id = models.CharField(max_length=255, blank=True)
    #: The version this one was made from when the curator edited it before approving (П.12):
    #: the executor sees the difference between the two.
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("правка редакции")
    )

    class Meta:
        verbose_name = _("проект ответа")
        verbose_name_plural = _("проекты ответов")
        ordering = ["case", "submitted_at", "id"]
        indexes = [models.Index(fields=["status", "submitted_at"], name="draft_review_queue")]

    def __str__(self) -> str:
        return f"{self.case}: {self.get_kind_display()} (ред. {self.version})"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"cases/{instance.case.administration_id}/{instance.case_id}/{filename}"


class Attachment(Undeletable):
    """A photo or video attached to a draft (П.18); type and size are checked on upload."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    draft = models.ForeignKey(Draft, on_delete=models.PROTECT, null=True, blank=True, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    #: Removed from the answer (by the curator at review or by the uploader before submitting):
    #: kept for the record (П.20), never carried to a new version and never published.
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("вложение")
        verbose_name_plural = _("вложения")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class DraftAutosave(models.Model):
    """What a person has typed in a case's answer editor and not yet sent (one per person and
    case): saved as they type and on every upload, restored when the page is opened again; cleared
    when the draft is sent. Not a version of the answer and never shown to anyone else."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(blank=True)
    measures_taken = models.TextField(blank=True)
    saved_at = models.DateTimeField()

    class Meta:
        verbose_name = _("несохранённый проект")
        verbose_name_plural = _("несохранённые проекты")
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="draft_autosave_one_per_person")]

    def __str__(self) -> str:
        return f"{self.case}: {self.user}"


class AnswerTemplate(models.Model):
    """A ready answer the executors start from (per topic and/or department), kept by the
    administration. Placeholders in braces are filled from the case: see ``cases.templates``."""

    administration = models.ForeignKey(Administration, on_delete=models.CASCADE, related_name="answer_templates")
    title = models.CharField(_("название"), max_length=200)
    text = models.TextField(_("текст"))
    topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("тематика")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("подразделение")
    )
    is_active = models.BooleanField(_("используется"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("шаблон ответа")
        verbose_name_plural = _("шаблоны ответов")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class CaseEventQuerySet(models.QuerySet["CaseEvent"]):
    def delete(self) -> Any:  # type: ignore[override]
        raise RuntimeError("Case events are append-only (П.20).")

    def update(self, **kwargs: Any) -> int:
        raise RuntimeError("Case events are append-only (П.20).")


class CaseEvent(models.Model):
    """Append-only audit row (П.20): who did what, when, from which state to which."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("время"))
    action = models.CharField(_("действие"), max_length=32)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    payload = models.JSONField(default=dict, blank=True)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("событие")
        verbose_name_plural = _("журнал событий")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="event_case_at")]

    def __str__(self) -> str:
        return f"{self.case} {self.action} {self.at:%d.%m.%Y %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("Case events are append-only (П.20).")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Case events are append-only (П.20).")


class Publication(models.Model):
    """The outbox: one row per approved draft to be published through a connector (П.14).

    ``guid`` is stable per draft, so a retry can never post twice (VK de-duplicates on it; for
    the others we never resend after a success is recorded).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("ожидает")
        SENDING = "sending", _("отправляется")
        PUBLISHED = "published", _("размещено")
        MANUAL = "manual", _("разместить вручную")

    draft = models.OneToOneField(Draft, on_delete=models.PROTECT, related_name="publication")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="publications")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    guid = models.CharField(max_length=64, unique=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    url = models.URLField(max_length=1000, blank=True, validators=[validate_http_url])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("публикация")
        verbose_name_plural = _("публикации")

    def __str__(self) -> str:
        return f"{self.case}: {self.get_status_display()}"
