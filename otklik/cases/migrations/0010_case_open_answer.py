"""The open answer stage's deadline and department on the case (the Head's overdue answers)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill_open_answer(apps, schema_editor):
    """Each case with an open answer stage gets its deadline and department, in one UPDATE: the
    stage's own department, else the active lead assignment's (``contract.open_answer_fields``)."""
    Case = apps.get_model("cases", "Case")
    Assignment = apps.get_model("cases", "Assignment")
    Stage = apps.get_model("sla", "Stage")
    open_answers = Stage.objects.filter(key="answer", status="open")
    answer = open_answers.filter(case_id=OuterRef("pk")).order_by("due_at", "id")
    lead = (
        Assignment.objects.filter(case_id=OuterRef("pk"), is_lead=True)
        .exclude(status__in=["returned", "cancelled"])
        .order_by("order")
    )
    Case.objects.filter(pk__in=open_answers.values("case_id")).update(
        open_answer_due_at=Subquery(answer.values("due_at")[:1]),
        open_answer_department_id=Coalesce(
            Subquery(answer.values("department_id")[:1]), Subquery(lead.values("department_id")[:1])
        ),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0009_case_open_place_index"),
        ("organization", "0009_calendar_version"),
        ("sla", "0003_postgresql_stage_time_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="open_answer_due_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="case",
            name="open_answer_department",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="organization.department",
            ),
        ),
        migrations.RunPython(fill_open_answer, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("open_answer_due_at__isnull", False)),
                fields=["administration", "open_answer_department", "open_answer_due_at"],
                name="case_open_answer",
            ),
        ),
    ]
