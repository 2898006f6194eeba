from django.urls import path

from . import views

app_name = "notify"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.notification_read, name="read"),
    path("poll/", views.notification_poll, name="poll"),
    path("status/", views.delivery_status, name="status"),
    path("telegram/", views.telegram_webhook, name="telegram_webhook"),
    path("<int:pk>/", views.notification_open, name="open"),
    path("preferences/", views.preferences, name="preferences"),
    path("shortcomings/", views.shortcoming_list, name="shortcomings"),
    path("shortcomings/new/", views.shortcoming_new, name="shortcoming_new"),
    path("shortcomings/<int:pk>/", views.shortcoming_detail, name="shortcoming"),
]
