from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "otklik.notify"
    label = "notify"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Dependencies inside the app run one way (tasks → events → alerts | reminders → services):
        # ``notify(...)`` hands its deliveries to the Celery task through this hook, not an import.
        from .services import deliver_with
        from .tasks import deliver_notifications

        deliver_with(deliver_notifications.delay)
