from django.urls import path

from . import sent, views

app_name = "reports"

urlpatterns = [
    path("", views.report_page, name="monthly"),
    path("download/<str:fmt>/", views.report_download, name="download"),
    path("sent/<int:dispatch_id>/<str:fmt>/", sent.sent_report_file, name="sent_file"),
]
