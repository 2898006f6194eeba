"""Assignment.administration: the case's, copied, so that what each department received in a
period is read from one index (administration, received_at) instead of every assignment of the
period joined to its case (``reports.figures.assignments_received``)."""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = (
    "UPDATE cases_assignment SET administration_id = "
    "(SELECT c.administration_id FROM cases_case c WHERE c.id = cases_assignment.case_id)"
)


def backfill(apps: Any, schema_editor: Any) -> None:
    schema_editor.execute(BACKFILL)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0015_one_open_deadline_index"),
        ("organization", "0009_calendar_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="assignment",
            name="administration",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="organization.administration",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="assignment",
            name="administration",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="organization.administration",
            ),
        ),
        migrations.RemoveIndex(model_name="assignment", name="assignment_received"),
        migrations.AddIndex(
            model_name="assignment",
            index=models.Index(fields=["administration", "received_at"], name="assignment_adm_received"),
        ),
    ]
