from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Код"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True, "spellcheck": "false"}
        ),
    )


TOKEN_DAYS = (30, 90, 180, 365)


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Для чего токен"),
        max_length=128,
        help_text=_("Например: «Система мониторинга ЦУР»."),
    )
    days = forms.TypedChoiceField(
        label=_("Срок действия"),
        coerce=int,
        choices=[(d, _("%(days)s дней") % {"days": d}) for d in TOKEN_DAYS],
        initial=settings.OTKLIK_API_TOKEN_DAYS if settings.OTKLIK_API_TOKEN_DAYS in TOKEN_DAYS else 90,
    )
