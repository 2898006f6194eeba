"""Validators shared by the API, the forms and the models.

Links that come in (a message's original, an author's page, a published answer, a feed) are shown
to people as links, so only ``http`` and ``https`` are accepted: ``javascript:``, ``data:``,
``file:`` and the like never reach a template. Django's own ``URLValidator`` also allows ``ftp``.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

HTTP_SCHEMES = ("http", "https")
HTTP_URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://"

_url = URLValidator(schemes=list(HTTP_SCHEMES), message=_("Укажите адрес, начинающийся с http:// или https://."))


def validate_http_url(value: str) -> None:
    """Raise ``ValidationError`` unless ``value`` is an absolute http(s) URL."""
    _url(value)


def http_url_problem(value: str) -> str | None:
    """Why ``value`` is not an acceptable link (Russian), or None; an empty value is acceptable."""
    if not value:
        return None
    try:
        _url(value)
    except ValidationError:
        return "ссылка должна начинаться с http:// или https:// и быть правильным адресом"
    return None


def is_http_link(value: str) -> bool:
    """Whether a link is safe to show as one: an http(s) scheme (``javascript:`` and ``data:`` are
    not). Looser than ``validate_http_url``: a network's or an intranet's address without a dot
    (``https://forum/t/1``) stays a link."""
    scheme, sep, rest = value.strip().partition(":")
    return bool(sep) and scheme.lower() in HTTP_SCHEMES and rest.startswith("//") and len(rest) > 2


class HttpURLField(forms.URLField):
    """A form's URL field that accepts only http and https."""

    default_validators = [validate_http_url]
