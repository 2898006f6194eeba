from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report_page, name="monthly"),
    path("download/<str:fmt>/", views.report_download, name="download"),
]
