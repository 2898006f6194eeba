from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "otklik.privacy"
    label = "privacy"
    verbose_name = _("Персональные данные (152-ФЗ)")
    default_auto_field = "django.db.models.BigAutoField"
