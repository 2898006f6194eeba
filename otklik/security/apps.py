from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "otklik.security"
    label = "security"
    verbose_name = "Безопасность"
