"""Reads of the organisation that are published: the registry of official accounts (П.5)."""

from __future__ import annotations

from dataclasses import dataclass

from otklik.domain.networks import network

from .models import Administration, OfficialAccount


@dataclass(frozen=True)
class AccountRow:
    department: str
    network: str
    network_title: str
    name: str
    url: str


def official_accounts(administration: Administration) -> list[AccountRow]:
    """Active accounts of active departments, by department then network — what the website lists."""
    rows = (
        OfficialAccount.objects.filter(
            department__administration=administration, department__is_active=True, is_active=True
        )
        .select_related("department")
        .order_by("department__name", "network", "name")
    )
    return [
        AccountRow(
            department=a.department.name,
            network=a.network,
            network_title=network(a.network).title,
            name=a.name,
            url=a.url,
        )
        for a in rows
    ]
