"""One error tree for every connector.

The caller decides what to do by the class, never by parsing messages:
- ``RateLimited`` and ``TransientSourceError``: retry later (the client already retried a few
  times with back-off before raising);
- ``ConfigurationError``: a person must fix the token or settings; the message names the source;
- ``CannotPublish``: permanent for this answer, the executor publishes it by hand (П.14);
- ``MalformedPayload``: one item of a batch was not understood; connectors log and skip that item
  and keep the others (the count is reported in ``connector.last_skipped``).

Messages are in Russian: they are shown to people in the UI and in ``otklik sources check``.
"""

from __future__ import annotations


class SourceError(Exception):
    """Base class; ``source`` names the network or source the error came from."""

    def __init__(self, message: str, *, source: str = "", code: int | str | None = None):
        self.source = source
        self.code = code
        super().__init__(message)

    def __str__(self) -> str:
        message = super().__str__()
        if self.source and not message.startswith(self.source):
            return f"{self.source}: {message}"
        return message


class TransientSourceError(SourceError):
    """Timeouts, network failures, 5xx and the network's own 'internal error': retry."""


class RateLimited(TransientSourceError):
    """The network asked us to slow down; ``retry_after`` seconds if it said so."""

    def __init__(
        self,
        message: str = "Превышен лимит запросов",
        *,
        retry_after: float | None = None,
        source: str = "",
        code: int | str | None = None,
    ):
        self.retry_after = retry_after
        super().__init__(message, source=source, code=code)


class ConfigurationError(SourceError):
    """Bad or expired token, missing setting: a person must fix the source settings."""


class CannotPublish(SourceError):
    """The network will not take this answer; the executor publishes it by hand."""

    def __init__(self, reason: str, *, source: str = "", code: int | str | None = None):
        self.reason = reason
        super().__init__(reason, source=source, code=code)


class MalformedPayload(SourceError):
    """A payload (or one item of it) is not what the network documents."""


class WebhookRejected(SourceError):
    """A webhook/callback request failed authentication (wrong secret)."""
