"""Security screens in a real browser, at a desktop and a phone width: two-factor enrolment with
an authenticator's code, sign-in with a recovery code, an API token, the lockout page, the
language switch without an inline handler, and no Content-Security-Policy violation anywhere."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.conftest import make_org

from .conftest import make_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("e2e")]

SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def _totp(key_text: str) -> str:
    from django_otp.oath import TOTP

    key = base64.b32decode(key_text.replace(" ", "") + "=" * (-len(key_text.replace(" ", "")) % 8))
    return f"{TOTP(key).token():06d}"


def _csp_violations(page: Any) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(f"{page.url}: {m.text}") if "Content Security Policy" in m.text else None)
    return found


@pytest.mark.parametrize("size", list(SIZES))
def test_enrol_sign_in_with_a_recovery_code_and_issue_a_token(people: Any, shot: Any, size: str) -> None:
    from playwright.sync_api import expect

    org = make_org()
    message = make_message(org, "На ул. Ленина <script>alert(1)</script> нет воды", external_id="csp-1")
    curator = people.page("gz-curator", viewport=SIZES[size])
    violations = _csp_violations(curator)
    pages = ["/inbox/", f"/inbox/{message.pk}/", "/board/", "/review/", "/dashboard/", "/reports/", "/sources/"]
    for url in [*pages, "/notifications/", "/o/gz/accounts/", "/api/docs"]:
        curator.goto(url)
        curator.wait_for_load_state("networkidle")
    expect(curator.locator("#swagger-ui .info")).to_be_visible()  # Swagger ran from our static files
    shot(curator, f"sec-api-docs-{size}")

    curator.goto("/inbox/")
    if size == "phone":  # the account link is in the menu on a phone
        curator.get_by_test_id("burger").click()
    curator.get_by_test_id("who").click()
    expect(curator.get_by_test_id("2fa-state")).to_contain_text("Не включена")
    shot(curator, f"sec-account-off-{size}")
    curator.get_by_role("link", name="Включить").click()
    expect(curator.get_by_test_id("totp-qr").locator("svg")).to_be_visible()
    shot(curator, f"sec-enrol-{size}")
    curator.fill("input[name=code]", _totp(curator.get_by_test_id("totp-key").inner_text()))
    curator.get_by_role("button", name="Включить").click()
    codes = curator.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    shot(curator, f"sec-recovery-codes-{size}")
    curator.get_by_role("link", name="Я сохранил коды").click()
    expect(curator.get_by_test_id("2fa-state")).to_contain_text("Включена")
    shot(curator, f"sec-account-on-{size}")

    # Sign out and in again: the password is not enough, a recovery code is.
    if size == "phone":
        curator.get_by_test_id("burger").click()
    curator.get_by_role("button", name="Выйти").click()
    curator.fill("input[name=username]", "gz-curator")
    curator.fill("input[name=password]", "pass12345")
    curator.click("main form button[type=submit]")
    expect(curator.get_by_role("heading", name="Подтверждение входа")).to_be_visible()
    shot(curator, f"sec-verify-{size}")
    curator.fill("input[name=code]", codes[0])
    curator.get_by_role("button", name="Подтвердить").click()
    expect(curator).to_have_url(f"{people.base_url}/inbox/")

    curator.goto("/accounts/tokens/")
    curator.fill("input[name=name]", "Система мониторинга ЦУР")
    curator.get_by_role("button", name="Выпустить токен").click()
    expect(curator.get_by_test_id("new-token")).to_contain_text("otk_")
    shot(curator, f"sec-tokens-{size}")

    # The language switch submits by itself (app.js, no inline handler) and back.
    if size == "phone":
        curator.get_by_test_id("burger").click()
    curator.select_option("select[name=language]", "en")
    expect(curator.locator("html")).to_have_attribute("lang", "en")
    if size == "phone":
        curator.get_by_test_id("burger").click()
    curator.select_option("select[name=language]", "ru")
    expect(curator.locator("html")).to_have_attribute("lang", "ru")
    assert violations == []


def test_the_lockout_page(browser: Any, live_server: Any, shot: Any) -> None:
    from playwright.sync_api import expect

    make_org()
    for size, viewport in SIZES.items():
        context = browser.new_context(base_url=live_server.url, locale="ru-RU", viewport=viewport)
        page = context.new_page()
        for _ in range(5):
            page.goto("/accounts/login/")
            page.fill("input[name=username]", f"gz-{'head' if size == 'desktop' else 'responsible'}")
            page.fill("input[name=password]", "wrong-password")
            page.click("main form button[type=submit]")
        expect(page.get_by_test_id("locked-out")).to_contain_text("Слишком много неудачных попыток")
        shot(page, f"sec-locked-out-{size}")
        context.close()
