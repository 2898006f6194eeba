"""Typed set-up forms per network (issue 11 §6): what each source needs, with help texts that say
which token and rights the network requires, and errors that name the field.

A form turns its fields into ``Source.config`` / ``token`` / ``base_url`` (``apply``) and back
(``initial_for``). Secrets are never shown again: a blank secret field on an existing source keeps
the stored value. A source with nothing to read (no communities and no keywords, no chats) is
refused here, before it can report «работает» for ever.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from otklik.core.validators import HttpURLField
from otklik.inbox.models import Source
from otklik.sources.errors import ConfigurationError
from otklik.sources.vk.client import community_ref


def _lines(value: str) -> list[str]:
    return [v.strip() for v in value.replace(",", "\n").replace(";", "\n").splitlines() if v.strip()]


def _chat_ids(value: str, field: str) -> list[int]:
    out: list[int] = []
    for item in _lines(value):
        try:
            out.append(int(item))
        except ValueError as exc:
            raise ValidationError(
                _("«%(value)s» — не идентификатор чата (число, например -1001234567890).") % {"value": item}
            ) from exc
    return out


class SourceForm(forms.Form):
    """Fields every network source has; subclasses add theirs and map them in ``CONFIG``."""

    kind: ClassVar[str] = ""
    # form field -> config key; "token" goes to Source.token; secrets are kept when left blank.
    CONFIG: ClassVar[dict[str, str]] = {}
    SECRETS: ClassVar[tuple[str, ...]] = ()
    LIST_FIELDS: ClassVar[tuple[str, ...]] = ()
    # A source with nothing to read is refused: at least one of these fields, else the message.
    READS: ClassVar[tuple[str, ...]] = ()
    NOTHING_TO_READ: ClassVar[Any] = ""

    name = forms.CharField(label=_("Название"), max_length=255)
    enabled = forms.BooleanField(label=_("Включён"), required=False, initial=True)
    poll_interval = forms.IntegerField(
        label=_("Интервал опроса, секунд"),
        min_value=30,
        max_value=86400,
        initial=300,
        help_text=_("Как часто спрашивать сеть о новых сообщениях (не реже раза в 5 минут — по умолчанию)."),
    )
    base_url = forms.CharField(
        label=_("Адрес API"),
        required=False,
        max_length=255,
        help_text=_("Пусто — адрес сети по умолчанию. Меняйте только для прокси или тестового сервера."),
    )

    def __init__(self, *args: Any, source: Source | None = None, **kwargs: Any) -> None:
        self.source = source
        super().__init__(*args, **kwargs)
        for name in self.SECRETS:
            widget = self.fields[name].widget
            if self.is_bound and isinstance(widget, forms.PasswordInput):
                widget.render_value = True  # what the person just typed survives «Проверить»
            if source is not None and self._stored(name):
                self.fields[name].required = False
                self.fields[name].widget.attrs["placeholder"] = str(_("сохранён — оставьте пустым, чтобы не менять"))

    def _stored(self, name: str) -> Any:
        if self.source is None:
            return None
        if name == "token":
            return self.source.token
        return (self.source.config or {}).get(self.CONFIG.get(name, name))

    @classmethod
    def initial_for(cls, source: Source) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": source.name,
            "enabled": source.enabled,
            "poll_interval": source.poll_interval,
            "base_url": source.base_url,
        }
        config = source.config or {}
        for field, key in cls.CONFIG.items():
            if field in cls.SECRETS:
                continue
            value = config.get(key)
            if field in cls.LIST_FIELDS:
                value = "\n".join(str(v) for v in value or [])
            data[field] = value
        return data

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in self.SECRETS:
            if not data.get(name) and not self._stored(name) and name in self.fields and not self.has_error(name):
                self.add_error(name, _("Обязательное поле."))
        if self.READS and not any(data.get(f) for f in self.READS) and not self.has_error(self.READS[0]):
            self.add_error(self.READS[0], self.NOTHING_TO_READ)
        return data

    def apply(self, source: Source) -> Source:
        """Write the cleaned values into ``source`` (not saved)."""
        data = self.cleaned_data
        source.name = data["name"]
        source.enabled = bool(data["enabled"])
        source.poll_interval = int(data["poll_interval"])
        source.base_url = (data.get("base_url") or "").strip()
        source.kind = self.kind
        source.network = "vk" if self.kind == Source.Kind.VK_CALLBACK else self.kind
        config = dict(source.config or {})
        for field, key in self.CONFIG.items():
            value = data.get(field)
            if field in self.SECRETS and not value:
                continue  # keep the stored secret
            if key == "token":
                source.token = str(value or "")
                config.pop("token", None)
                continue
            if value in (None, "", []) and not isinstance(value, bool):
                config.pop(key, None)
            else:
                config[key] = value
        source.config = config
        return source


class VkForm(SourceForm):
    kind = Source.Kind.VK
    CONFIG = {
        "token": "token",
        "group_ids": "group_ids",
        "keywords": "keywords",
        "window_days": "window_days",
        "publish_as_group": "publish_as_group",
    }
    SECRETS = ("token",)
    LIST_FIELDS = ("group_ids", "keywords")
    READS = ("group_ids", "keywords")
    NOTHING_TO_READ = _("Нечего читать: укажите хотя бы одно сообщество или ключевые слова.")

    token = forms.CharField(
        label=_("Ключ доступа"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Ключ доступа сообщества (Управление → Работа с API → Создать ключ) с правами «Управление "
            "сообществом» и «Стена»: с ним система читает стену и отвечает от имени сообщества. Для поиска "
            "по словам и комментариев к чужим записям нужен ключ пользователя-администратора с правами wall, "
            "groups, offline; для фото и видео в ответах — также photos и video."
        ),
    )
    group_ids = forms.CharField(
        label=_("Сообщества"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "По одному в строке: число (123456), короткое имя (gazzavod_adm) или ссылка "
            "(https://vk.com/gazzavod_adm). «Проверить» найдёт сообщество и покажет его название."
        ),
    )
    keywords = forms.CharField(
        label=_("Ключевые слова для поиска"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("По одному в строке; ищутся новые записи во всём ВКонтакте (newsfeed.search)."),
    )
    window_days = forms.IntegerField(
        label=_("Окно чтения, дней"),
        min_value=1,
        max_value=365,
        initial=30,
        help_text=_("Комментарии собираются ко всем записям за это время, а не только к последним."),
    )
    publish_as_group = forms.BooleanField(label=_("Отвечать от имени сообщества"), required=False, initial=True)

    def clean_group_ids(self) -> list[Any]:
        refs = []
        for line in _lines(self.cleaned_data.get("group_ids") or ""):
            try:
                refs.append(community_ref(line))
            except ConfigurationError as exc:
                raise ValidationError(str(exc).removeprefix("vk: ")) from exc
        return refs

    def clean_keywords(self) -> list[str]:
        return _lines(self.cleaned_data.get("keywords") or "")


class VkCallbackForm(SourceForm):
    kind = Source.Kind.VK_CALLBACK
    CONFIG = {
        "token": "token",
        "group_ids": "group_ids",
        "secret": "secret",
        "confirmation_code": "confirmation_code",
    }
    SECRETS = ("secret",)
    LIST_FIELDS = ("group_ids",)

    group_ids = forms.CharField(
        label=_("Сообщество (id)"),
        help_text=_("Числовой id сообщества, события которого приходят (Управление → Работа с API → Callback API)."),
    )
    confirmation_code = forms.CharField(
        label=_("Строка подтверждения"), max_length=64, help_text=_("Строка, которую ВКонтакте просит вернуть.")
    )
    secret = forms.CharField(
        label=_("Секретный ключ"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Тот же ключ, что в настройках Callback API: без него события не принимаются."),
    )
    token = forms.CharField(
        label=_("Ключ доступа сообщества"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Ключ сообщества: по нему система узнаёт имена авторов комментариев, а с правом «Стена» "
            "публикует ответы. Пусто — вместо имён номера страниц (id…), ответы вручную."
        ),
    )

    def clean_group_ids(self) -> list[int]:
        try:
            return [int(str(community_ref(v))) for v in _lines(self.cleaned_data.get("group_ids") or "")]
        except (ConfigurationError, ValueError) as exc:
            raise ValidationError(_("Укажите числовой id сообщества.")) from exc


class BotForm(SourceForm):
    """Telegram and MAX bots: a token, the chats, polling or a webhook."""

    SECRETS: ClassVar[tuple[str, ...]] = ("token",)
    LIST_FIELDS: ClassVar[tuple[str, ...]] = ("chat_ids",)

    token = forms.CharField(label=_("Токен бота"), widget=forms.PasswordInput(render_value=False))
    chat_ids = forms.CharField(label=_("Чаты"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    webhook_secret = forms.CharField(
        label=_("Секрет webhook"),
        required=False,
        max_length=128,
        help_text=_(
            "Пусто — сообщения забираются опросом. Заполните, только если обновления бота приходят на "
            "webhook системы (адрес /hooks/…/<номер источника>/ по HTTPS); опрос и webhook вместе не работают."
        ),
    )

    def clean_chat_ids(self) -> list[int]:
        return _chat_ids(self.cleaned_data.get("chat_ids") or "", "chat_ids")


class TelegramForm(BotForm):
    kind = Source.Kind.TELEGRAM
    CONFIG = {
        "token": "token",
        "chat_ids": "chat_ids",
        "include_channel_posts": "include_channel_posts",
        "webhook_secret": "webhook_secret",
    }

    include_channel_posts = forms.BooleanField(label=_("Собирать и посты каналов"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["token"].help_text = _(
            "Токен от @BotFather. Добавьте бота в группы (и в группу обсуждения канала) и сделайте его "
            "администратором: в режиме приватности (по умолчанию) бот без прав администратора видит только "
            "команды и ответы на свои сообщения. Либо отключите приватность: @BotFather → /setprivacy → Disable."
        )
        self.fields["chat_ids"].help_text = _(
            "Идентификаторы групп (например -1001234567890), по одному в строке. Пусто — все группы, где "
            "состоит бот. Один бот может обслуживать несколько источников: каждый получает сообщения своих чатов."
        )


class MaxForm(BotForm):
    kind = Source.Kind.MAX
    CONFIG = {
        "token": "token",
        "chat_ids": "chat_ids",
        "channel_ids": "channel_ids",
        "webhook_secret": "webhook_secret",
    }
    LIST_FIELDS = ("chat_ids", "channel_ids")
    READS = ("chat_ids", "channel_ids")
    NOTHING_TO_READ = _("Нечего читать: укажите хотя бы один чат или канал.")

    channel_ids = forms.CharField(
        label=_("Каналы (комментарии к постам)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Идентификаторы каналов, комментарии к постам которых собираются; по одному в строке."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["token"].help_text = _(
            "Токен бота с платформы MAX для партнёров (Чат-боты → ⋮ → Настройки). Бот должен быть "
            "администратором чата или канала с правами «Читать все сообщения» и «Писать сообщения»."
        )
        self.fields["chat_ids"].help_text = _("Идентификаторы групповых чатов, по одному в строке.")

    def clean_channel_ids(self) -> list[int]:
        return _chat_ids(self.cleaned_data.get("channel_ids") or "", "channel_ids")


class OkForm(SourceForm):
    kind = Source.Kind.OK
    CONFIG = {
        "application_key": "application_key",
        "application_secret_key": "application_secret_key",
        "token": "token",
        "group_ids": "group_ids",
        "publish_via_api": "publish_via_api",
    }
    SECRETS = ("application_secret_key", "token")
    LIST_FIELDS = ("group_ids",)

    application_key = forms.CharField(
        label=_("Публичный ключ приложения"),
        max_length=64,
        help_text=_(
            "Из письма Одноклассников после регистрации приложения (ok.ru/devaccess): application_key. "
            "Приложению нужны права VALUABLE_ACCESS, LONG_ACCESS_TOKEN и GROUP_CONTENT."
        ),
    )
    application_secret_key = forms.CharField(
        label=_("Секретный ключ приложения"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_("application_secret_key из того же письма; хранится только на сервере."),
    )
    token = forms.CharField(
        label=_("Вечный токен администратора группы"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_("access_token администратора группы (в настройках приложения: «Получить вечный access_token»)."),
    )
    group_ids = forms.CharField(
        label=_("Группы (id)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Числовые id групп, по одному в строке."),
    )
    publish_via_api = forms.BooleanField(
        label=_("Публиковать ответы через API"),
        required=False,
        help_text=_("Только если Одноклассники выдали приложению право писать от имени группы; иначе — вручную."),
    )

    def clean_group_ids(self) -> list[str]:
        values = _lines(self.cleaned_data.get("group_ids") or "")
        if not values:
            raise ValidationError(_("Нечего читать: укажите хотя бы одну группу."))
        if any(not v.isdigit() for v in values):
            raise ValidationError(_("Id группы — число."))
        return values


class FeedForm(SourceForm):
    kind = Source.Kind.FEED
    CONFIG = {"url": "url", "keywords": "keywords"}
    LIST_FIELDS = ("keywords",)

    url = HttpURLField(label=_("Адрес ленты RSS/Atom"), max_length=1000, assume_scheme="https")
    keywords = forms.CharField(
        label=_("Ключевые слова"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Берутся только записи с этими словами; пусто — все записи ленты."),
    )

    def clean_keywords(self) -> list[str]:
        return _lines(self.cleaned_data.get("keywords") or "")


FORMS: dict[str, type[SourceForm]] = {
    form.kind: form for form in (VkForm, VkCallbackForm, TelegramForm, MaxForm, OkForm, FeedForm)
}
