"""The Celery application: one engine from a laptop (SQLite broker) to many workers (Redis)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("otklik")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from otklik.core.logs import connect_celery_signals  # noqa: E402

connect_celery_signals()
