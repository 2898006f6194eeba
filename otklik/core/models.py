"""Shared model helpers: soft deletion guard for records that П.20 requires us to keep."""

from __future__ import annotations

from typing import Any

from django.db import models


class UndeletableQuerySet(models.QuerySet):
    def delete(self) -> Any:  # type: ignore[override]
        raise RuntimeError("Records of this kind are kept for accountability (П.20) and cannot be deleted.")


class Undeletable(models.Model):
    """A model whose rows are never deleted (П.20): cases, messages, drafts, events."""

    objects = UndeletableQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Records of this kind are kept for accountability (П.20) and cannot be deleted.")
