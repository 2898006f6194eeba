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


class AppendOnlyQuerySet(models.QuerySet):
    def delete(self) -> Any:  # type: ignore[override]
        raise RuntimeError("Records of this kind are append-only (П.20).")

    def update(self, **kwargs: Any) -> int:
        raise RuntimeError("Records of this kind are append-only (П.20).")


class AppendOnly(models.Model):
    """A record written once and never changed or deleted (П.20): histories, audit logs."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("Records of this kind are append-only (П.20).")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Records of this kind are append-only (П.20).")
