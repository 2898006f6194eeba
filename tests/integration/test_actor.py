"""Who an actor is (``organization.services.actor_for``): roles and departments of the active
memberships of active administrations, and the administration to name when there are several.

``actor_for`` reads the memberships by one raw query (every signed-in page asks it); these tests
hold it to what the ORM says of the same rows."""

from __future__ import annotations

from typing import Any

import pytest

from otklik.core.errors import PermissionDenied
from otklik.organization.models import Administration, Membership, Role
from otklik.organization.services import actor_for

pytestmark = pytest.mark.django_db


def by_orm(user: Any, adm: Administration) -> tuple[frozenset[str], frozenset[int]]:
    rows = Membership.objects.filter(user=user, administration=adm, is_active=True, administration__is_active=True)
    roles = frozenset(m.role for m in rows)
    departments = frozenset(
        m.department_id for m in rows if m.department_id and m.role in (Role.EXECUTOR, Role.DEPARTMENT_HEAD)
    )
    return roles, departments


def test_every_person_of_the_seed_is_the_orms_actor(org: Any) -> None:
    for name, user in org.users.items():
        actor = actor_for(user)
        assert actor.administration == org.adm, name
        assert actor.administration.name == org.adm.name  # a whole row, not only its id
        assert (actor.roles, actor.department_ids) == by_orm(user, org.adm), name


def test_several_roles_and_departments_add_up(org: Any) -> None:
    user = org.users["zhkh"]
    Membership.objects.create(user=user, administration=org.adm, role=Role.EXECUTOR, department=org.depts["roads"])
    Membership.objects.create(user=user, administration=org.adm, role=Role.CURATOR, department=org.depts["edu"])
    actor = actor_for(user)
    assert actor.roles == {Role.EXECUTOR, Role.CURATOR}
    # a curator's department is not one whose cases the person works on
    assert actor.department_ids == {org.depts["zhkh"].pk, org.depts["roads"].pk}
    assert (actor.roles, actor.department_ids) == by_orm(user, org.adm)


def test_an_ended_role_or_a_closed_administration_gives_no_actor(org: Any) -> None:
    user = org.users["roads"]
    membership = Membership.objects.get(user=user)
    membership.is_active = False
    membership.save()
    with pytest.raises(PermissionDenied):
        actor_for(user)
    membership.is_active = True
    membership.save()
    assert actor_for(user).roles == {Role.EXECUTOR}
    Administration.objects.filter(pk=org.adm.pk).update(is_active=False)
    with pytest.raises(PermissionDenied):
        actor_for(user)


def test_with_two_administrations_the_one_named_is_taken(org: Any, other_org: Any) -> None:
    user = org.users["curator"]
    Membership.objects.create(user=user, administration=other_org.adm, role=Role.HEAD)
    with pytest.raises(PermissionDenied, match="нескольких"):
        actor_for(user)
    assert actor_for(user, org.adm).roles == {Role.CURATOR}
    assert actor_for(user, "other").roles == {Role.HEAD}
    assert actor_for(user, "other").administration == other_org.adm
    with pytest.raises(PermissionDenied):
        actor_for(user, "nowhere")
    with pytest.raises(PermissionDenied):
        actor_for(org.users["head"], other_org.adm)  # no role there
