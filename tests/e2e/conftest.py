"""Real-browser tests: Playwright (sync API) driving Debian's Chromium against ``live_server``.

Skipped with a clear reason when Chromium or Playwright is missing (``make chromium`` installs
the browser). Screenshots go to ``test-artifacts/e2e/`` (git-ignored, kept by CI as artifacts).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run in a thread
# with a running loop unless told it is safe (the test is the only user of the connection).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("OTKLIK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
PASSWORD = "pass12345"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: run `make chromium` (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run the browser tests, never skip them
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        pytest.skip("playwright is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class People:
    """One browser context per person, each signed in through the login page."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[Any] = []

    def page(self, username: str, **context_kwargs: Any) -> Any:
        context = self.browser.new_context(base_url=self.base_url, locale="ru-RU", **context_kwargs)
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_load_state()
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def people(browser: Any, live_server: Any) -> Iterator[People]:
    crowd = People(browser, live_server.url)
    yield crowd
    crowd.close()


@pytest.fixture
def shot() -> Any:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def make_message(org: Any, text: str, *, external_id: str, author: str = "Житель Газимурского Завода") -> Any:
    from otklik.domain.messages import IncomingMessage
    from otklik.inbox.actions import message_ingest_batch
    from otklik.inbox.models import Message, Source

    source, _ = Source.objects.get_or_create(
        administration=org.adm, name="Группа «Газимурский Завод» в ОК", kind=Source.Kind.OK, network="ok"
    )
    result = message_ingest_batch(
        source=source,
        items=[
            IncomingMessage(
                network="ok",
                external_id=external_id,
                text=text,
                url=f"https://ok.ru/group/70000000000001/topic/{external_id}",
                author_name=author,
            )
        ],
    )
    return Message.objects.get(pk=result.created[0])
