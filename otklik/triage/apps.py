from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "otklik.triage"
    label = "triage"
    verbose_name = "Разбор сообщений"
    default_auto_field = "django.db.models.BigAutoField"
