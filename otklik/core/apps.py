from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "otklik.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401  (registers the system checks)
        from .fulltext import on_post_migrate
        from .planner import refresh_after_migrate

        # After every migrate: a table Django rebuilt on SQLite has lost its full-text triggers,
        # and an index it added has no planner statistics.
        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="otklik-fulltext")
        post_migrate.connect(refresh_after_migrate, sender=self, dispatch_uid="otklik-planner-statistics")
