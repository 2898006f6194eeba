"""Files go out only through views that check rights (issue 15 §1), with download headers, or
through the reverse proxy when one is configured. The role × endpoint table covers media and
every download."""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from otklik.cases import actions
from otklik.reports.models import ReportDispatch
from otklik.security.files import DOWNLOAD_CSP
from tests import media
from tests.integration.test_web_views import routed_case

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "curator", "head", "responsible", "admin", "zhkh", "zhkh_head", "roads", "foreign")


@pytest.fixture
def files(org: Any, other_org: Any, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """An attachment of a case routed to ЖКХ, and a stored monthly summary (all three formats)."""
    settings.MEDIA_ROOT = tmp_path
    case = routed_case(org, "zhkh")
    actions.case_accept(case=case, actor=org.actor("zhkh"))
    attachment = actions.case_attach_file(
        case=case, actor=org.actor("zhkh"), upload=SimpleUploadedFile("труба.jpg", media.jpeg())
    )
    folder = tmp_path / "reports" / org.adm.slug
    folder.mkdir(parents=True)
    names = []
    for fmt in ("docx", "xlsx", "pdf"):
        name = f"reports/{org.adm.slug}/otklik-{org.adm.slug}-2026-11.{fmt}"
        (tmp_path / name).write_bytes(f"stored {fmt}".encode())
        names.append(name)
    dispatch = ReportDispatch.objects.create(
        administration=org.adm,
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
        sent_at=dt.datetime(2026, 12, 1, 1, tzinfo=dt.UTC),
        files=names,
    )
    return {"case": case, "attachment": attachment, "dispatch": dispatch, "report_names": names}


def _client(org: Any, other_org: Any, role: str) -> Client:
    client = Client()
    if role == "foreign":
        client.force_login(other_org.users["curator"])
    elif role != "anonymous":
        client.force_login(org.users[role])
    return client


# Who gets what: 200 the file; 302 to the login page; 404 where existence must not leak (a case
# one does not see, another administration's report); 403 a report to a role that reads none.
EXPECTED = {
    "attachment": {
        "anonymous": 302, "curator": 200, "head": 200, "responsible": 200, "admin": 404,
        "zhkh": 200, "zhkh_head": 200, "roads": 404, "foreign": 404,
    },
    "sent_report": {
        "anonymous": 302, "curator": 200, "head": 200, "responsible": 200, "admin": 403,
        "zhkh": 403, "zhkh_head": 403, "roads": 403, "foreign": 404,
    },
    "report_download": {
        "anonymous": 302, "curator": 200, "head": 200, "responsible": 200, "admin": 403,
        "zhkh": 403, "zhkh_head": 403, "roads": 403, "foreign": 200,
    },
    "media_attachment": dict.fromkeys(ROLES, 404),
    "media_report": dict.fromkeys(ROLES, 404),
}  # fmt: skip


def test_every_role_against_every_file_endpoint(org: Any, other_org: Any, files: dict[str, Any]) -> None:
    case, attachment, dispatch = files["case"], files["attachment"], files["dispatch"]
    urls = {
        "attachment": reverse("web:attachment", args=[case.pk, attachment.pk]),
        "sent_report": reverse("reports:sent_file", args=[dispatch.pk, "pdf"]),
        "report_download": reverse("reports:download", args=["xlsx"]) + "?month=2026-11",
        "media_attachment": f"/media/{attachment.file.name}",
        "media_report": f"/media/{files['report_names'][2]}",
    }
    seen = {}
    for endpoint, url in urls.items():
        for role in ROLES:
            seen[(endpoint, role)] = _client(org, other_org, role).get(url).status_code
    expected = {(endpoint, role): status for endpoint, row in EXPECTED.items() for role, status in row.items()}
    assert seen == expected
    # (report_download for "foreign" is that curator's own administration's report, not ours.)


def test_media_has_no_public_route_even_with_debug_on(settings: Any) -> None:
    import config.urls

    settings.DEBUG = True
    try:
        module = importlib.reload(config.urls)
        with pytest.raises(Resolver404):
            resolve("/media/cases/1/1/photo.jpg", urlconf=module)
    finally:
        settings.DEBUG = False
        importlib.reload(config.urls)


def test_a_download_is_an_attachment_not_sniffed_and_sandboxed(org: Any, files: dict[str, Any]) -> None:
    case, attachment = files["case"], files["attachment"]
    client = _client(org, None, "zhkh")
    response = client.get(reverse("web:attachment", args=[case.pk, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%D1%82%D1%80%D1%83%D0%B1%D0%B0.jpg" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == DOWNLOAD_CSP
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == attachment.file.open("rb").read()  # type: ignore[attr-defined]

    for url in (
        reverse("reports:sent_file", args=[files["dispatch"].pk, "docx"]),
        reverse("reports:download", args=["pdf"]) + "?month=2026-11",
    ):
        response = _client(org, None, "head").get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == DOWNLOAD_CSP


def test_behind_nginx_the_proxy_sends_the_file(org: Any, files: dict[str, Any], settings: Any) -> None:
    settings.OTKLIK_X_ACCEL_REDIRECT_PREFIX = "/_protected/"
    case, attachment = files["case"], files["attachment"]
    response = _client(org, None, "curator").get(reverse("web:attachment", args=[case.pk, attachment.pk]))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_protected/{attachment.file.name}"
    assert response.content == b""
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("attachment")
    # Rights are still checked first: the proxy is never told about a file one may not have.
    assert "X-Accel-Redirect" not in _client(org, None, "roads").get(
        reverse("web:attachment", args=[case.pk, attachment.pk])
    )


def test_behind_apache_x_sendfile_names_the_file(org: Any, files: dict[str, Any], settings: Any) -> None:
    settings.OTKLIK_X_SENDFILE = True
    response = _client(org, None, "head").get(reverse("reports:sent_file", args=[files["dispatch"].pk, "xlsx"]))
    assert response.status_code == 200
    assert response["X-Sendfile"] == str(Path(settings.MEDIA_ROOT).resolve() / files["report_names"][1])
    assert response.content == b""


def test_a_stored_report_path_outside_media_is_not_served(org: Any, files: dict[str, Any], tmp_path: Path) -> None:
    secret = tmp_path.parent / "outside.pdf"
    secret.write_bytes(b"not for download")
    ReportDispatch.objects.filter(pk=files["dispatch"].pk).update(files=["../outside.pdf"])
    response = _client(org, None, "head").get(reverse("reports:sent_file", args=[files["dispatch"].pk, "pdf"]))
    assert response.status_code == 404
