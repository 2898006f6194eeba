"""Pages of the sources module, mounted at ``/sources/``."""

from django.urls import path

from . import ui

app_name = "sources"

urlpatterns = [
    path("", ui.source_list, name="list"),
    path("import/", ui.import_messages, name="import"),
    path("new/<str:kind>/", ui.source_new, name="new"),
    path("<int:source_id>/edit/", ui.source_edit, name="edit"),
    path("<int:source_id>/check/", ui.source_check, name="check"),
    path("<int:source_id>/poll/", ui.source_poll, name="poll"),
]
