from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "otklik.cases"
    label = "cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Dependencies inside the app run one way (tasks → publishing → actions → models): the
        # approval hands its publication to the outbox's task through this hook, not an import.
        from .actions import dispatch_publications_with
        from .tasks import publish_answer

        dispatch_publications_with(publish_answer.delay)
