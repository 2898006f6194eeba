from django.urls import path

from . import public

app_name = "public"

urlpatterns = [
    path("", public.public_page, name="page"),
    path("data/<str:dataset>.<str:fmt>", public.open_data, name="data"),
]
