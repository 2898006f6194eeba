from django.urls import path

from . import calendar_views

app_name = "organization"

urlpatterns = [
    path("", calendar_views.calendar_page, name="calendar"),
]
