from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "otklik.web"
    label = "web"
    default_auto_field = "django.db.models.BigAutoField"
