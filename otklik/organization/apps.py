from django.apps import AppConfig


class OrganizationConfig(AppConfig):
    name = "otklik.organization"
    label = "organization"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Dependencies inside the app run one way (views → calendars | services → models): the
        # administration's ``calendar`` property gets its builder through this hook, not an import.
        from .calendars import administration_calendar
        from .models import build_calendars_with

        build_calendars_with(administration_calendar)
