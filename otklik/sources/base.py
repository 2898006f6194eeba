"""The connector contract and the HTTP plumbing every client shares.

A connector is an adapter (ARCHITECTURE.md, "Connectors are adapters"):

- ``fetch(cursor) -> (messages, new_cursor)``: the cursor is a JSON-serialisable dict; the caller
  persists the new cursor only AFTER the messages are committed, so a crash re-fetches (ingestion
  is idempotent on external_id) and nothing is lost;
- ``check() -> CheckReport``: credentials and reachability; says what it found (the community's
  name, the bot's username, whether it reads every group message, its admin status) and what a
  person should know; raises ``ConfigurationError`` or ``TransientSourceError``;
- ``publish(req) -> PublishResult`` for networks that allow it; otherwise ``CannotPublish``.

Items the parser cannot understand are skipped one by one; their reasons are kept in
``connector.last_skipped`` so the caller can count and report them.

Retries: transient errors and rate limits are retried with bounded exponential back-off; the
sleep function is injectable so tests never sleep.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

import httpx

from otklik.domain.messages import IncomingMessage, PublishRequest, PublishResult
from otklik.sources.errors import CannotPublish, ConfigurationError, RateLimited, TransientSourceError

logger = logging.getLogger(__name__)

T = TypeVar("T")
SleepFn = Callable[[float], None]

DEFAULT_TIMEOUT = 15.0
USER_AGENT = "Otklik/0.1 (+municipal feedback)"


@dataclass
class CheckReport:
    """What «Проверить» found: shown before the settings are saved.

    ``found``: what the network said (names, usernames, rights); ``warnings``: it works, but a
    person should act (privacy mode, not an admin, a webhook next to polling); ``config_updates``:
    settings the check resolved (a VK short name -> its id) to save with the source."""

    found: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    config_updates: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Connector(Protocol):
    network: str
    last_skipped: list[str]

    def fetch(self, cursor: dict) -> tuple[list[IncomingMessage], dict]: ...

    def check(self) -> CheckReport: ...


@runtime_checkable
class Publisher(Protocol):
    def publish(self, req: PublishRequest) -> PublishResult: ...


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential back-off: delays base, 2*base, 4*base... capped at ``max_delay``."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    # A network may ask for a long pause (Telegram retry_after up to minutes); beyond this we give
    # up and let the scheduler come back later rather than block a worker.
    max_retry_after: float = 60.0

    def delay(self, attempt: int) -> float:
        delay = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return delay * (0.8 + 0.4 * random.random())  # jitter: workers do not retry in step


def call_with_retries(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy,
    sleep: SleepFn,
    what: str = "",
    retry_transient: bool = True,
) -> T:
    """Run ``fn``; on a transient error or rate limit, wait and retry, at most
    ``policy.max_attempts`` attempts in all. The last error is re-raised.

    ``retry_transient=False`` retries only rate limits (the request was refused, so repeating it
    is safe): for a non-idempotent write a timeout may hide a success."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except RateLimited as exc:
            if attempt >= policy.max_attempts:
                raise
            wait = exc.retry_after if exc.retry_after is not None else policy.delay(attempt)
            if wait > policy.max_retry_after:
                raise
            logger.info("%s: rate limited, retry %d in %.1fs", what, attempt, wait)
            sleep(wait)
        except TransientSourceError as exc:
            if attempt >= policy.max_attempts or not retry_transient:
                raise
            wait = policy.delay(attempt)
            logger.info("%s: %s; retry %d in %.1fs", what, exc, attempt, wait)
            sleep(wait)


class HttpApi:
    """An httpx client with translated errors. Subclasses speak one network's protocol."""

    network = ""
    default_base_url = ""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        http: httpx.Client | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: SleepFn | None = None,
    ):
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.timeout = timeout
        self.http = http or httpx.Client(timeout=httpx.Timeout(timeout), headers={"User-Agent": USER_AGENT})
        self.retry = retry or RetryPolicy()
        self.sleep: SleepFn = sleep if sleep is not None else time.sleep
        self.last_skipped: list[str] = []
        # Set by ``fetch`` when the network holds more than one call returned: the poller calls
        # ``fetch`` again with the new cursor (after committing this page).
        self.has_more = False

    def close(self) -> None:
        self.http.close()

    # The connector contract; each network's client overrides what its network supports.
    def check(self) -> CheckReport:
        raise NotImplementedError

    def fetch(self, cursor: dict) -> tuple[list[IncomingMessage], dict]:
        raise NotImplementedError

    def publish(self, req: PublishRequest) -> PublishResult:
        raise CannotPublish("Эта сеть не позволяет разместить ответ через API: разместите его вручную.")

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One HTTP exchange; network failures and 5xx become ``TransientSourceError``."""
        try:
            response = self.http.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise TransientSourceError(
                f"нет ответа за отведённое время ({exc.__class__.__name__})", source=self.network
            ) from exc
        except httpx.TransportError as exc:
            raise TransientSourceError(f"сетевая ошибка: {exc}", source=self.network) from exc
        if response.status_code >= 500:
            raise TransientSourceError(
                f"сервер ответил {response.status_code}",
                source=self.network,
                code=response.status_code,
            )
        return response

    def api_json(self, response: httpx.Response, method: str, api: str, looks_like: Callable[[Any], bool]) -> Any:
        """The JSON body of the network's own answer. A body that is not JSON, or JSON of another
        shape (a proxy's page, another service), means the address is not that API: a
        ``ConfigurationError`` that names the address — never «ошибка 0». A JSON body cut short is
        transient."""
        where = f"адрес API «{self.base_url}» ответил на {method} не как {api} (HTTP {response.status_code}"
        try:
            body = response.json()
        except ValueError as exc:
            if "json" in response.headers.get("content-type", ""):
                raise TransientSourceError(f"{method}: ответ не JSON (оборван)", source=self.network) from exc
            raise ConfigurationError(
                f"{where}, ответ не JSON): проверьте адрес API", source=self.network, code=response.status_code
            ) from exc
        if not looks_like(body):
            raise ConfigurationError(f"{where}): проверьте адрес API", source=self.network, code=response.status_code)
        return body

    def with_retries(self, fn: Callable[[], T], what: str, *, retry_transient: bool = True) -> T:
        return call_with_retries(fn, policy=self.retry, sleep=self.sleep, what=what, retry_transient=retry_transient)

    def skip(self, reason: str) -> None:
        logger.warning("%s: skipped an item: %s", self.network, reason)
        self.last_skipped.append(reason)
