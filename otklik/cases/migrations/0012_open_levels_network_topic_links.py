"""Two indexes for the lists' counts at a million cases (``docs/sizing.md``).

- ``case_open_levels`` also carries the network and the id: PostgreSQL's indexes do not hold the
  row's id as SQLite's do, so counting a network's open cases, or joining the open cases to a
  topic's, read every open row (32,809 at 1,000,000 cases) from the table.
- ``case_topics_topic_case`` on the topic links (topic, case): a topic's cases come from the
  index alone (67,000 links at a million: a bitmap scan of 18–40 ms → 4 ms). The link table is
  Django's own for ``Case.topics``, which declares no indexes: hence SQL, alike on both databases.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0011_case_significant_index"),
        ("organization", "0009_calendar_version"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="case",
            name="case_open_levels",
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("state__in", ["closed", "refused"]), _negated=True),
                fields=["administration", "next_deadline_at", "next_red_at", "next_amber_at", "network", "id"],
                name="case_open_levels",
            ),
        ),
        migrations.RunSQL(
            "CREATE INDEX case_topics_topic_case ON cases_case_topics (topic_id, case_id)",
            "DROP INDEX case_topics_topic_case",
        ),
    ]
