"""Stage indexes by (key, due_at) and (key, started_at), on PostgreSQL only.

The Head's figures count one kind of stage over a period by its deadline or start
(``otklik.reports.figures``). Without these PostgreSQL read every stage of the kind through
``(key, ended_at)`` and filtered the period (35 ms each at 100,000 cases; 1.3 ms with them).
SQLite is left without them on purpose: given ``(key, due_at)`` its planner walked every earlier
deadline for the overdue figure (17 → 117 ms; ``docs/sizing.md``). Not in the model's
``Meta.indexes`` because Django cannot declare an index for one database only.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

INDEXES = {
    "stage_key_due": "(key, due_at)",
    "stage_key_started": "(key, started_at)",
}


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON sla_stage {columns}")


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("sla", "0002_stage_title_competence_decision")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
