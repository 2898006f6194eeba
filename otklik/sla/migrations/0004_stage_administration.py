"""Stage.administration: the case's, copied, so that the Head's figures read an administration's
stages of a period from one index instead of joining every stage of the period to its case
(``reports.figures``). The PostgreSQL-only period indexes of 0003 lead with it too."""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = (
    "UPDATE sla_stage SET administration_id = "
    "(SELECT c.administration_id FROM cases_case c WHERE c.id = sla_stage.case_id)"
)

#: Replacing 0003's ``stage_key_due`` and ``stage_key_started`` (PostgreSQL only, see there). The
#: deadlines' index holds what the answers given late are told by, so that they are counted from it
#: alone (``figures.missed_now``: at 1,000,000 cases 7,500 answers due in a month, 4.8 ms from the
#: table).
INDEXES = {
    "stage_adm_key_due": "(administration_id, key, due_at) INCLUDE (status, ended_at)",
    "stage_adm_key_started": "(administration_id, key, started_at)",
}
OLD_INDEXES = {
    "stage_key_due": "(key, due_at)",
    "stage_key_started": "(key, started_at)",
}


def backfill(apps: Any, schema_editor: Any) -> None:
    schema_editor.execute(BACKFILL)


def _swap(schema_editor: Any, drop: dict[str, str], create: dict[str, str]) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in drop:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    for name, columns in create.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON sla_stage {columns}")


def forwards(apps: Any, schema_editor: Any) -> None:
    _swap(schema_editor, OLD_INDEXES, INDEXES)


def backwards(apps: Any, schema_editor: Any) -> None:
    _swap(schema_editor, INDEXES, OLD_INDEXES)


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0003_postgresql_stage_time_indexes"),
        ("organization", "0009_calendar_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="stage",
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
            model_name="stage",
            name="administration",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="organization.administration",
            ),
        ),
        migrations.RemoveIndex(model_name="stage", name="stage_key_ended"),
        migrations.AddIndex(
            model_name="stage",
            index=models.Index(fields=["administration", "key", "ended_at"], name="stage_adm_key_ended"),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
