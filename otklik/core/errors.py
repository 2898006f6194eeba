"""One tree of application errors, mapped to HTTP statuses by the API and to messages by the UI."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A business rule refused the request; ``message`` is shown to the user (Russian)."""

    status = 400
    code = "error"

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class IllegalTransition(ApplicationError):
    """The workflow table does not allow this action in the case's current state (HTTP 409)."""

    status = 409
    code = "illegal_transition"


class Conflict(ApplicationError):
    """Someone else changed the object first (HTTP 409)."""

    status = 409
    code = "conflict"


class PermissionDenied(ApplicationError):
    """The actor has no right to do this (HTTP 403)."""

    status = 403
    code = "forbidden"


class NotFound(ApplicationError):
    """The object does not exist or must not be revealed to this actor (HTTP 404)."""

    status = 404
    code = "not_found"


class ValidationFailed(ApplicationError):
    """The input is well-formed but violates a rule (HTTP 422); ``field`` names the culprit."""

    status = 422
    code = "invalid"

    def __init__(self, message: str, *, field: str = "", extra: dict[str, Any] | None = None) -> None:
        super().__init__(message, extra=extra)
        self.field = field
