"""A small HTTP client for API tests: token auth, JSON in and out, real URL routing."""

from __future__ import annotations

from typing import Any

from django.test import Client

from otklik.organization.tokens import api_token_create


class Api:
    def __init__(self, user: Any) -> None:
        self.token = api_token_create(user=user, name="test")
        self.client = Client()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api{path}", params, headers=self._headers())

    def post(self, path: str, data: Any = None) -> Any:
        return self.client.post(
            f"/api{path}",
            data=data if data is not None else {},
            content_type="application/json",
            headers=self._headers(),
        )
