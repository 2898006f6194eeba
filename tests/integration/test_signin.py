"""Sign-in (issue 15 §2): throttling and lockout, two-factor with recovery codes, enforcement by
setting, and Django's full password validators."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from otklik.security import twofactor

pytestmark = pytest.mark.django_db

PASSWORD = "pass12345"
T0 = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)


def _login(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(reverse("web:login"), {"username": username, "password": password}, **extra)


@pytest.fixture
def clock() -> Any:
    """Frozen time from T0; ``clock.shift(timedelta)`` moves it (TOTP codes change every 30 s)."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def _enrol(client: Client, user: Any) -> list[str]:
    """Enrol through the pages, as a person would; return the recovery codes shown."""
    page = client.get(reverse("security:enrol"))
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("security:enrol"), {"code": _code(device)})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", response.content.decode())
    assert len(codes) == 10
    return codes


def _enrolled_then_password_only(org: Any, clock: Any, name: str) -> Client:
    """``name`` enrols in one session; a minute later another signs in with the password alone."""
    first = Client()
    first.force_login(org.users[name])
    _enrol(first, org.users[name])
    clock.shift(dt.timedelta(minutes=1))
    second = Client()
    _login(second, f"gz-{name}")
    return second


# ---- throttling and lockout --------------------------------------------------------------------


def test_wrong_passwords_lock_the_login_out_and_then_the_right_one_fails_too(org: Any, clock: Any) -> None:
    """The audit: 50 wrong passwords in 28 s, then the right one worked."""
    client = Client()
    for _ in range(4):
        assert _login(client, "gz-curator", "wrong-guess").status_code == 200
    locked = _login(client, "gz-curator", "wrong-guess")
    assert locked.status_code == 429
    assert "Слишком много неудачных попыток входа" in locked.content.decode()
    assert _login(client, "gz-curator").status_code == 429
    assert "_auth_user_id" not in client.session
    # After the cool-off the right password works again, and the count starts afresh.
    clock.shift(dt.timedelta(minutes=16))
    assert _login(client, "gz-curator").status_code == 302
    assert client.session["_auth_user_id"] == str(org.users["curator"].pk)


def test_lockout_is_per_login_and_address_so_one_typo_does_not_lock_the_office(org: Any, clock: Any) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(5):
        _login(attacker, "gz-head", "guess")
    assert _login(attacker, "gz-head").status_code == 429
    # The same person from the office's address, and a colleague from the attacker's, get in.
    assert _login(Client(REMOTE_ADDR="198.51.100.20"), "gz-head").status_code == 302
    assert _login(Client(REMOTE_ADDR="203.0.113.7"), "gz-curator").status_code == 302


def test_a_forwarded_for_header_is_believed_only_behind_a_configured_proxy(org: Any, settings: Any, clock: Any) -> None:
    for i in range(5):  # rotating a header the client writes itself does not evade the lockout
        _login(Client(), "gz-head", "guess", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    assert _login(Client(), "gz-head", HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429
    settings.OTKLIK_TRUSTED_PROXY_COUNT = 1
    # Behind one proxy, the address it appended is the client's: another client gets in.
    assert _login(Client(), "gz-head", HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 302


# ---- passwords ---------------------------------------------------------------------------------


@pytest.mark.parametrize("weak", ["12345678", "password", "1234567890", "qwertyuiop", "gz-curator1"])
def test_weak_passwords_are_refused(org: Any, weak: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(weak, user=org.users["curator"])


def test_the_password_change_page_applies_the_validators(org: Any) -> None:
    client = Client()
    client.force_login(org.users["curator"])
    url = reverse("security:password_change")
    weak = client.post(url, {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200
    assert "слишком" in weak.content.decode().lower()
    strong = "Газимур-Завод-2026-вода"
    ok = client.post(url, {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong})
    assert ok.status_code == 302
    org.users["curator"].refresh_from_db()
    assert org.users["curator"].check_password(strong)


# ---- two-factor ----------------------------------------------------------------------------------


def test_after_enrolment_signing_in_asks_for_a_code(org: Any, clock: Any) -> None:
    client = Client()
    client.force_login(org.users["curator"])
    _enrol(client, org.users["curator"])
    client.logout()

    clock.shift(dt.timedelta(minutes=5))
    response = _login(client, "gz-curator")
    assert response.status_code == 302
    inbox = client.get(reverse("web:inbox"))
    assert inbox.status_code == 302
    assert inbox["Location"].startswith(reverse("security:verify"))
    # Nothing else opens meanwhile: not the admin, not the API through the session.
    assert client.get("/admin/").status_code == 302
    api = client.get("/api/me")
    assert api.status_code == 401
    assert "второго фактора" in api.json()["detail"]
    wrong = client.post(reverse("security:verify"), {"code": "000000", "next": "/inbox/"})
    assert "Неверный код" in wrong.content.decode()
    clock.shift(dt.timedelta(seconds=5))  # past django-otp's back-off after one wrong code
    device = TOTPDevice.objects.get(user=org.users["curator"])
    code = _code(device)
    right = client.post(reverse("security:verify"), {"code": code, "next": "/inbox/"})
    assert right.status_code == 302 and right["Location"] == "/inbox/"
    assert client.get(reverse("web:inbox")).status_code == 200
    assert client.get("/api/me").status_code == 200
    # A code is good once: the same one cannot be replayed in another session.
    other = Client()
    _login(other, "gz-curator")
    again = other.post(reverse("security:verify"), {"code": code})
    assert "Неверный код" in again.content.decode()


def test_a_recovery_code_signs_in_once(org: Any, clock: Any) -> None:
    client = Client()
    client.force_login(org.users["head"])
    codes = _enrol(client, org.users["head"])
    for expected in (302, 200):  # the second time: "wrong code", the page again
        clock.shift(dt.timedelta(minutes=1))
        c = Client()
        _login(c, "gz-head")
        response = c.post(reverse("security:verify"), {"code": codes[0].upper()})
        assert response.status_code == expected
    assert StaticToken.objects.filter(device__user=org.users["head"]).count() == 9


def test_wrong_codes_are_throttled(org: Any, clock: Any) -> None:
    c = _enrolled_then_password_only(org, clock, "curator")
    c.post(reverse("security:verify"), {"code": "111111"})
    throttled = c.post(reverse("security:verify"), {"code": "222222"})
    assert throttled.status_code == 429
    assert "Слишком много неверных кодов" in throttled.content.decode()
    # Even the right code waits out the back-off (django-otp doubles it after each failure).
    blocked = c.post(reverse("security:verify"), {"code": _code(TOTPDevice.objects.get(user=org.users["curator"]))})
    assert blocked.status_code == 429


def test_a_person_with_a_device_cannot_enrol_a_new_one_without_a_code(org: Any, clock: Any) -> None:
    thief = _enrolled_then_password_only(org, clock, "curator")  # the password alone
    response = thief.get(reverse("security:enrol"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("security:verify"))
    thief.post(reverse("security:two_factor_reset"), {"code": "123456", "again": "1"})
    assert TOTPDevice.objects.filter(user=org.users["curator"], confirmed=True).count() == 1


@pytest.mark.parametrize(
    ("role", "required"),
    [("curator", True), ("head", True), ("responsible", True), ("admin", True), ("zhkh", False), ("zhkh_head", False)],
)
def test_with_the_setting_on_privileged_roles_must_enrol(
    org: Any, settings: Any, clock: Any, role: str, required: bool
) -> None:
    settings.OTKLIK_REQUIRE_2FA = True
    client = Client()
    _login(client, f"gz-{role}")
    response = client.get(reverse("web:home"), follow=False)
    if required:
        assert response.status_code == 302 and response["Location"].startswith(reverse("security:enrol"))
        _enrol(client, org.users[role])
        assert client.get(reverse("security:account")).status_code == 200
    else:
        assert not (response.status_code == 302 and "/accounts/2fa/" in response.get("Location", ""))


def test_django_staff_must_enrol_when_required(org: Any, settings: Any) -> None:
    from django.contrib.auth.models import User

    settings.OTKLIK_REQUIRE_2FA = True
    User.objects.create_superuser("root", password=PASSWORD)
    client = Client()
    client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("security:enrol"))


def test_with_the_setting_off_nobody_is_forced_to_enrol(org: Any) -> None:
    client = Client()
    _login(client, "gz-curator")
    assert client.get(reverse("web:inbox")).status_code == 200


def test_required_factor_can_be_moved_to_a_new_phone_but_not_switched_off(org: Any, settings: Any, clock: Any) -> None:
    settings.OTKLIK_REQUIRE_2FA = True
    client = Client()
    _login(client, "gz-curator")
    codes = _enrol(client, org.users["curator"])
    off = client.post(reverse("security:two_factor_reset"), {"code": codes[0], "again": "0"}, follow=True)
    assert "обязателен" in off.content.decode()
    assert twofactor.has_device(org.users["curator"])
    moved = client.post(reverse("security:two_factor_reset"), {"code": codes[1], "again": "1"})
    assert moved.status_code == 302 and moved["Location"] == reverse("security:enrol")
    assert not twofactor.has_device(org.users["curator"])
    # Until the new phone is enrolled, only enrolment opens.
    assert client.get(reverse("web:inbox"))["Location"].startswith(reverse("security:enrol"))


def test_where_not_required_the_factor_can_be_switched_off_with_a_code(org: Any, clock: Any) -> None:
    client = Client()
    client.force_login(org.users["zhkh"])
    codes = _enrol(client, org.users["zhkh"])
    assert client.post(reverse("security:two_factor_reset"), {"code": "nope", "again": "0"}).status_code == 302
    assert twofactor.has_device(org.users["zhkh"])
    clock.shift(dt.timedelta(seconds=5))  # past the back-off after the wrong code
    client.post(reverse("security:two_factor_reset"), {"code": codes[0], "again": "0"})
    assert not twofactor.has_device(org.users["zhkh"])


def _setting(module: str, name: str, tmp_path: Path, **env: str) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OTKLIK_")}
    environ.update({"OTKLIK_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": module, **env})
    result = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_two_factor_is_required_by_default_in_production_only(tmp_path: Path) -> None:
    key = {"OTKLIK_SECRET_KEY": "k" * 50}
    assert _setting("config.settings.production", "OTKLIK_REQUIRE_2FA", tmp_path, **key) == "True"
    assert (
        _setting("config.settings.production", "OTKLIK_REQUIRE_2FA", tmp_path, OTKLIK_REQUIRE_2FA="0", **key) == "False"
    )
    assert _setting("config.settings.dev", "OTKLIK_REQUIRE_2FA", tmp_path) == "False"
    assert _setting("config.settings.test", "OTKLIK_REQUIRE_2FA", tmp_path) == "False"
    assert _setting("config.settings.dev", "OTKLIK_REQUIRE_2FA", tmp_path, OTKLIK_REQUIRE_2FA="1") == "True"


def test_the_admin_can_remove_a_lost_phone_but_never_sees_a_key(org: Any, clock: Any) -> None:
    from django.contrib.auth.models import User

    person = Client()
    person.force_login(org.users["head"])
    codes = _enrol(person, org.users["head"])
    device = TOTPDevice.objects.get(user=org.users["head"])
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", password=PASSWORD))
    page = admin.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).content.decode()
    assert device.key not in page and "qrcode" not in page
    static_device = org.users["head"].staticdevice_set.get()
    for url in (
        reverse("admin:otp_static_staticdevice_changelist"),
        reverse("admin:otp_static_staticdevice_change", args=[static_device.pk]),
    ):
        assert codes[0] not in admin.get(url).content.decode()
    admin.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert not twofactor.has_device(org.users["head"])
