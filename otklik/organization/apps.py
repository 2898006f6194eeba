from django.apps import AppConfig


class OrganizationConfig(AppConfig):
    name = "otklik.organization"
    label = "organization"
    default_auto_field = "django.db.models.BigAutoField"
