"""П.20 (issue 15 §5): sent П.22 notices, notifications, report dispatches and the history of roles
cannot be edited or deleted — not in the admin (read-only, no bulk delete), not by the models — and
a role ends (``ended_at``) rather than being deleted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.db.models import ProtectedError
from django.test import Client
from django.utils import timezone

from otklik.notify.models import Notification, ShortcomingNotice
from otklik.organization.models import Membership, MembershipEvent, Role
from otklik.reports.models import ReportDispatch

pytestmark = pytest.mark.urls("config.urls")


@pytest.fixture
def records(org):
    now = timezone.now()
    notice = ShortcomingNotice.objects.create(
        administration=org.adm, department=org.depts["zhkh"], sender=org.users["head"], text="Сроки", created_at=now
    )
    notification = Notification.objects.create(recipient=org.users["curator"], title="Новое обращение", created_at=now)
    dispatch = ReportDispatch.objects.create(
        administration=org.adm, period_start=dt.date(2026, 11, 1), period_end=dt.date(2026, 11, 30), sent_at=now
    )
    membership = Membership.objects.get(user=org.users["curator"])
    return {
        "notify/shortcomingnotice": notice,
        "notify/notification": notification,
        "reports/reportdispatch": dispatch,
        "organization/membership": membership,
        "organization/membershipevent": membership.events.get(),
    }


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="Root-pass-2026!"))
    return client


KEPT = ["notify/shortcomingnotice", "notify/notification", "reports/reportdispatch", "organization/membershipevent"]


@pytest.mark.parametrize("model", KEPT)
def test_the_admin_shows_sent_records_read_only(admin_client, records, model):
    obj = records[model]
    url = f"/admin/{model}/{obj.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # a view, not a form
    assert admin_client.post(url, {"text": "Исправлено"}).status_code == 403
    assert admin_client.get(f"/admin/{model}/{obj.pk}/delete/").status_code == 403
    assert admin_client.post(f"/admin/{model}/{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    changelist = admin_client.get(f"/admin/{model}/").content.decode()
    assert "delete_selected" not in changelist
    bulk = admin_client.post(
        f"/admin/{model}/", {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    )
    assert bulk.status_code in (200, 302)
    assert type(obj).objects.filter(pk=obj.pk).exists()
    if model == "notify/shortcomingnotice":
        obj.refresh_from_db()
        assert obj.text == "Сроки"


def test_a_membership_cannot_be_deleted_in_the_admin_it_is_ended(admin_client, records):
    membership = records["organization/membership"]
    url = f"/admin/organization/membership/{membership.pk}/"
    assert admin_client.get(url + "delete/").status_code == 403
    assert "delete_selected" not in admin_client.get("/admin/organization/membership/").content.decode()
    response = admin_client.post(
        "/admin/organization/membership/", {"action": "end_roles", "_selected_action": [membership.pk]}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active and membership.ended_at is not None
    kinds = list(membership.events.values_list("kind", "actor__username"))
    assert kinds == [("granted", None), ("ended", "root")]


def test_models_refuse_to_delete_or_rewrite_what_was_sent(records):
    for obj in records.values():
        with pytest.raises(RuntimeError, match=r"П\.20"):
            obj.delete()
        with pytest.raises(RuntimeError):
            type(obj).objects.filter(pk=obj.pk).delete()
    notice = records["notify/shortcomingnotice"]
    notice.text = "Другой текст"
    with pytest.raises(RuntimeError, match=r"П\.22"):
        notice.save()
    # Only its acknowledgement may be recorded.
    notice.refresh_from_db()
    notice.status = ShortcomingNotice.Status.ACKNOWLEDGED
    notice.save(update_fields=["status"])
    with pytest.raises(RuntimeError):
        records["organization/membershipevent"].save()


def test_deleting_a_person_with_history_is_refused_not_cascaded(org, records):
    with pytest.raises(ProtectedError):
        org.users["curator"].delete()
    assert Membership.objects.filter(user=org.users["curator"]).exists()


def test_a_role_ends_and_resumes_with_its_history(org):
    membership = Membership.objects.get(user=org.users["zhkh"], role=Role.EXECUTOR)
    membership.end(by=org.users["admin"])
    assert membership.ended_at is not None
    membership.is_active = True
    membership.position = "Ведущий специалист"
    membership.save()
    assert membership.ended_at is None
    assert [e.kind for e in MembershipEvent.objects.filter(membership=membership)] == ["granted", "ended", "resumed"]
    membership.position = "Главный специалист"
    membership.save()
    last = MembershipEvent.objects.filter(membership=membership).last()
    assert (last.kind, last.previous_position, last.position) == ("changed", "Ведущий специалист", "Главный специалист")
    membership.department = org.depts["roads"]
    with pytest.raises(RuntimeError, match="re-pointed"):
        membership.save()
