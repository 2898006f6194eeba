from django.apps import AppConfig


class OrganizationConfig(AppConfig):
    name = "otklik.organization"
    label = "organization"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Dependencies inside the app run one way (views → calendars | services → models): the
        # administration's ``calendar`` property gets its builder through this hook, not an import.
        from django.db.models.signals import post_delete, post_save

        from .calendars import administration_calendar, calendar_changed
        from .models import CalendarException, ProductionCalendarYear, build_calendars_with

        build_calendars_with(administration_calendar)
        for model in (CalendarException, ProductionCalendarYear):
            post_save.connect(calendar_changed, sender=model, dispatch_uid=f"calendar-changed-save-{model.__name__}")
            post_delete.connect(
                calendar_changed, sender=model, dispatch_uid=f"calendar-changed-delete-{model.__name__}"
            )
