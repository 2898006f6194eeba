"""Webhook endpoints, mounted at ``/hooks/``."""

from django.urls import path

from . import views

app_name = "hooks"

urlpatterns = [
    path("vk/<int:source_id>/", views.vk_callback, name="vk"),
    path("telegram/<int:source_id>/", views.telegram_webhook, name="telegram"),
    path("max/<int:source_id>/", views.max_webhook, name="max"),
]
