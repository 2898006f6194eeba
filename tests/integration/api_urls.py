"""URLconf with only the HTTP API: the API tests must not depend on the web UI's views."""

from django.urls import path

from otklik.api.api import api

urlpatterns = [path("api/", api.urls)]
