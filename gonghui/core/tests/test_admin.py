"""The Django admin: superusers only, read-mostly, branded 数智工会 系统管理.

Given a staff account that holds every model permission but is not a superuser, when it opens the admin, then it
gets the admin's login page (Django's default would let it delete memberships). Given a superuser, the history
tables (memberships, people, membership events, coverage, audit entries) cannot be deleted, one by one or in bulk,
and the history ones cannot be edited.
"""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import models
from django.test import Client
from django.urls import reverse

from gonghui.members.models import Membership, MembershipEvent, Person
from gonghui.orgs.models import Coverage, Union

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def root_client(client: Client) -> Client:
    root = User.objects.create_superuser("root_admin", password="x-Admin-12345")
    client.force_login(root)
    return client


def _audit_entry() -> LogEntry:
    entry = LogEntry.objects.first()
    if entry is None:  # an audited change makes one
        union = Union.objects.filter(depth=2).first()
        assert union is not None
        union.chair = "管理测试"
        union.save()
        entry = LogEntry.objects.first()
    assert entry is not None
    return entry


def _first(model: type[models.Model]) -> models.Model:
    obj = model.objects.order_by("pk").first()  # type: ignore[attr-defined]
    assert obj is not None, f"the demo data holds no {model.__name__}"
    return obj


HISTORY = [Membership, MembershipEvent, Coverage, LogEntry]
NEVER_DELETED = [*HISTORY, Person, User]


def _obj(model: type[models.Model]) -> models.Model:
    return _audit_entry() if model is LogEntry else _first(model)


def _url(model: type[models.Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_staff_with_every_permission_but_not_superuser_gets_no_admin(client: Client) -> None:
    staff = User.objects.create_user("staff_only", password="x-Staff-12345", is_staff=True)
    staff.user_permissions.set(Permission.objects.all())
    client.force_login(staff)
    membership = _first(Membership)
    for url in (reverse("admin:index"), _url(Membership, "changelist"), _url(Membership, "delete", membership.pk)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    response = client.post(_url(Membership, "delete", membership.pk), {"post": "yes"})
    assert response.status_code == 302 and Membership.objects.filter(pk=membership.pk).exists()


def test_a_cadre_gets_no_admin(client_as: Any) -> None:
    response = client_as("huangyan").get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_the_admin_is_branded_in_chinese(root_client: Client) -> None:
    page = root_client.get(reverse("admin:index")).content.decode()
    assert "<title>数智工会 系统管理 | 数智工会 系统管理</title>" in page
    assert "Django" not in page
    login = Client().get(reverse("admin:login")).content.decode()
    assert "数智工会 系统管理" in login and "Django" not in login


@pytest.mark.parametrize("model", NEVER_DELETED, ids=lambda m: m.__name__)
def test_history_and_people_cannot_be_deleted(root_client: Client, model: type[models.Model]) -> None:
    obj = _obj(model)
    assert root_client.get(_url(model, "delete", obj.pk)).status_code == 403
    assert root_client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    # nor in bulk from the list: the action is not offered, and posting it anyway deletes nothing
    changelist = root_client.get(_url(model, "changelist"))
    assert changelist.status_code == 200 and "delete_selected" not in changelist.content.decode()
    root_client.post(_url(model, "changelist"), {"action": "delete_selected", "_selected_action": [obj.pk],
                                                  "post": "yes"})
    assert model.objects.filter(pk=obj.pk).exists()  # type: ignore[attr-defined]


def test_deleting_a_union_cannot_cascade_into_memberships(root_client: Client) -> None:
    union = _first(Membership).union  # type: ignore[attr-defined]
    assert root_client.get(_url(Union, "delete", union.pk)).status_code == 403
    assert Union.objects.filter(pk=union.pk).exists()


@pytest.mark.parametrize("model", HISTORY, ids=lambda m: m.__name__)
def test_history_is_shown_but_not_editable(root_client: Client, model: type[models.Model]) -> None:
    obj = _obj(model)
    page = root_client.get(_url(model, "change", obj.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # a view page, no save button
    assert root_client.post(_url(model, "change", obj.pk), {}).status_code == 403
    assert root_client.get(_url(model, "add")).status_code == 403


def test_a_person_can_be_corrected_but_not_added(root_client: Client) -> None:
    person = _first(Person)
    page = root_client.get(_url(Person, "change", person.pk)).content.decode()
    assert 'name="_save"' in page and "id_cipher" not in page and "id_index" not in page
    assert root_client.get(_url(Person, "add")).status_code == 403


def test_accounts_are_managed_and_deactivated_not_deleted(root_client: Client) -> None:
    user = User.objects.get(username="dongcheng")
    page = root_client.get(_url(User, "change", user.pk)).content.decode()
    assert 'name="_save"' in page and 'name="is_active"' in page
    assert root_client.get(_url(User, "add")).status_code == 200
