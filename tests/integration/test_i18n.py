"""The English catalog: complete, compiled in step with the .po, and the pages switch language by
the ``django_language`` cookie (Russian stays the source and the default)."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "otklik" / "locale" / "en" / "LC_MESSAGES"

RUSSIAN_UI = ("Входящие", "Выйти", "Доска", "Уведомления", "Источники")


def _unquote(line: str) -> str:
    return ast.literal_eval(line)  # a PO string is a C-like quoted string; ours use only \" \\ \n \t


def parse_po(path: Path) -> list[dict[str, Any]]:
    """A tiny PO reader: entries with msgctxt, msgid, msgid_plural, msgstr/msgstr[n] and flags."""
    entries: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    field = ""

    def flush() -> None:
        if "msgid" in current:
            entries.append(dict(current))
        current.clear()

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("#,"):
            if "msgid" in current:
                flush()
            current.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#~"):
            current["obsolete"] = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[field] += _unquote(line)
        else:
            key, _, value = line.partition(" ")
            if key in ("msgctxt", "msgid") and "msgstr" in current and key not in current:
                flush()  # entries separated without a blank line
            field = key
            current[field] = _unquote(value)
    flush()
    return entries


@pytest.fixture(scope="module")
def po() -> list[dict[str, Any]]:
    return parse_po(LOCALE / "django.po")


def _translations(entry: dict[str, Any]) -> list[str]:
    return [v for k, v in entry.items() if k.startswith("msgstr")]


def test_catalog_is_english_with_two_plural_forms(po: list[dict[str, Any]]) -> None:
    header = po[0]
    assert header["msgid"] == ""
    assert "Language: en\n" in header["msgstr"]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"]


def test_every_entry_is_translated_and_none_is_fuzzy(po: list[dict[str, Any]]) -> None:
    entries = [e for e in po[1:] if not e.get("obsolete")]
    assert len(entries) > 500
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e.get("flags", set())]
    untranslated = [e["msgid"] for e in entries if not all(_translations(e))]
    assert fuzzy == []
    assert untranslated == []
    for e in entries:
        if "msgid_plural" in e:
            assert {k for k in e if k.startswith("msgstr")} == {"msgstr[0]", "msgstr[1]"}, e["msgid"]
    still_russian = [e["msgid"] for e in entries if any(_has_cyrillic(s) for s in _translations(e))]
    assert still_russian == []


def _has_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def test_mo_agrees_with_po(po: list[dict[str, Any]]) -> None:
    with (LOCALE / "django.mo").open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    entries = [e for e in po[1:] if not e.get("obsolete")]
    catalog = mo._catalog  # type: ignore[attr-defined]
    # the .mo holds the header plus one key per singular entry and one per plural form
    expected = 1 + sum(2 if "msgid_plural" in e else 1 for e in entries)
    assert len(catalog) == expected
    for e in entries:
        msgid = e["msgid"] if "msgctxt" not in e else f"{e['msgctxt']}\x04{e['msgid']}"
        if "msgid_plural" in e:
            assert catalog[(msgid, 0)] == e["msgstr[0]"]
            assert catalog[(msgid, 1)] == e["msgstr[1]"]
        else:
            assert catalog[msgid] == e["msgstr"], msgid


def test_report_page_labels_are_marked_for_translation() -> None:
    from otklik.reports import tables
    from otklik.reports.queries import CURATOR_ROW
    from otklik.reports.views import PAGE_LABELS

    labels = {
        *tables.DEPARTMENT_HEADERS,
        *tables.STAGE_HEADERS,
        *tables.OVERDUE_HEADERS,
        CURATOR_ROW,
        "Всего",
    }
    assert labels <= set(PAGE_LABELS)
    source = Path(tables.__file__).read_text(encoding="utf-8")
    summary = source.split("def summary_rows", 1)[1].split("\n\n\n", 1)[0]
    for label in set(PAGE_LABELS):
        summary = summary.replace(f'("{label}",', "")
    assert '("' not in summary, "a summary label of reports.tables is not in reports.views.PAGE_LABELS"


def test_strings_of_reports_notify_and_sources_translate() -> None:
    with translation.override("en"):
        assert translation.gettext("Ежемесячная справка (п. 21)") == "Monthly summary (cl. 21)"
        assert translation.gettext("Каналы уведомлений") == "Notification channels"
        assert translation.gettext("Импорт сообщений из файла") == "Import messages from a file"
        assert translation.pgettext("notice", "Направить") == "Send"
    with translation.override("ru"):
        assert translation.gettext("Каналы уведомлений") == "Каналы уведомлений"


def _client(org: Any, name: str, language: str | None) -> Client:
    client = Client()
    assert client.login(username=f"gz-{name}", password="pass12345")
    if language:
        client.cookies["django_language"] = language
    return client


PAGES = [
    ("curator", "/", ("Inbox", "Sign out", "No new messages.", "cl. 8: 30 working minutes")),
    ("curator", "/board/", ("Board", "Open cases", "All departments", "Odnoklassniki")),
    ("head", "/reports/", ("Monthly summary (cl. 21)", "Timeliness by department", "Curator (routing and review)")),
    ("curator", "/notifications/", ("Notifications", "Mark all as read", "Notification channels")),
    ("curator", "/notifications/preferences/", ("Notification channels", "Browser notifications", "Save")),
    ("head", "/notifications/shortcomings/", ("Notices of shortcomings (cl. 22)", "Send a notice")),
    ("curator", "/sources/", ("Sources", "Import messages from a file", "No sources configured.")),
    ("curator", "/sources/import/", ("Import messages from a file", "Upload")),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "url", "english"), PAGES, ids=[p[1] for p in PAGES])
def test_pages_render_in_english_with_the_cookie(org: Any, who: str, url: str, english: tuple[str, ...]) -> None:
    response = _client(org, who, "en").get(url, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en"' in html
    for word in english:
        assert word in html, word
    for word in ("Входящие", "Выйти", "Показать", "Каналы уведомлений", "Источники не настроены"):
        assert word not in html, word


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "url"), [("curator", "/"), ("head", "/reports/"), ("curator", "/notifications/")])
def test_pages_stay_russian_without_the_cookie(org: Any, who: str, url: str) -> None:
    response = _client(org, who, None).get(url, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Выйти" in html
    assert "Sign out" not in html
    assert any(word in html for word in RUSSIAN_UI)


@pytest.mark.django_db
def test_report_page_month_label_follows_the_language(org: Any) -> None:
    english = _client(org, "head", "en").get("/reports/?month=2026-11").content.decode()
    russian = _client(org, "head", None).get("/reports/?month=2026-11").content.decode()
    assert "November 2026" in english and "Summary for November 2026" in english
    assert "ноябрь 2026 г." in russian and "Справка за ноябрь 2026 г." in russian
