"""Each role can do exactly what ARCHITECTURE.md gives it; forged requests get 403."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forums.models import ForumConnection
from tests.factories import ForumConnectionFactory

pytestmark = pytest.mark.django_db

NEW = {
    "name": "Forged",
    "platform": "discourse",
    "base_url": "https://f.example.com",
    "api_username": "system",
    "api_key": "k-1234",
    "requests_per_minute": 60,
}


def test_anonymous_is_sent_to_sign_in(client):
    for url in [
        reverse("overview"),
        reverse("forums:connection-list"),
        reverse("forums:audit-list"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_viewer_reads_but_a_forged_post_gets_403(viewer_client):
    connection = ForumConnectionFactory()
    for url in [
        reverse("overview"),
        reverse("forums:connection-list"),
        reverse("forums:audit-list"),
    ]:
        assert viewer_client.get(url).status_code == 200
    assert viewer_client.post(reverse("forums:connection-create"), NEW).status_code == 403
    assert not ForumConnection.objects.filter(name="Forged").exists()
    pk = connection.pk
    assert viewer_client.post(reverse("forums:connection-delete", args=[pk])).status_code == 403
    assert viewer_client.post(reverse("forums:connection-toggle", args=[pk])).status_code == 403
    assert viewer_client.post(reverse("forums:connection-test", args=[pk])).status_code == 403
    assert viewer_client.get(reverse("forums:connection-update", args=[pk])).status_code == 403
    assert ForumConnection.objects.filter(pk=pk, enabled=True).exists()
    html = viewer_client.get(reverse("forums:connection-list")).content.decode()
    assert "Test connection" not in html and "Add a forum" not in html


def test_moderator_may_test_but_not_manage(moderator_client, discourse_connection):
    pk = discourse_connection.pk
    assert moderator_client.post(reverse("forums:connection-test", args=[pk])).status_code == 200
    assert moderator_client.post(reverse("forums:connection-create"), NEW).status_code == 403
    assert moderator_client.post(reverse("forums:connection-delete", args=[pk])).status_code == 403


def test_approver_reads_but_does_not_manage(approver_client):
    connection = ForumConnectionFactory()
    assert approver_client.get(reverse("forums:connection-list")).status_code == 200
    assert approver_client.post(reverse("forums:connection-create"), NEW).status_code == 403
    assert (
        approver_client.post(reverse("forums:connection-toggle", args=[connection.pk])).status_code
        == 403
    )


def test_admin_manages_connections_and_people(admin_client_):
    response = admin_client_.post(reverse("forums:connection-create"), NEW)
    assert response.status_code == 302
    assert ForumConnection.objects.filter(name="Forged").exists()
    # Admins assign roles in People & roles (no longer in the Django admin site).
    assert admin_client_.get(reverse("forums:account-list")).status_code == 200
    assert admin_client_.get("/admin/auth/user/").status_code == 404


def test_a_person_without_a_role_is_told_what_to_do(client, make_user):
    client.force_login(make_user("newbie"))
    response = client.get(reverse("overview"))
    assert response.status_code == 403
    assert "ask a Forumdeck Admin to give you one" in response.content.decode()


def test_roles_exist_with_their_permissions(db):
    from django.contrib.auth.models import Group

    perms = {g.name: {p.codename for p in g.permissions.all()} for g in Group.objects.all()}
    assert set(perms) >= {"Viewer", "Moderator", "Approver", "Admin"}
    assert "add_forumconnection" not in perms["Moderator"]
    assert "moderate_forum_users" in perms["Moderator"]
    assert "view_forumconnection" in perms["Viewer"]
    assert {"add_forumconnection", "delete_forumconnection", "change_user"} <= perms["Admin"]


def test_the_role_groups_hold_what_the_areas_declare_and_build_on_each_other():
    from django.contrib.auth.models import Group

    from forums.core.areas import areas
    from forums.roles import ADMIN, APPROVER, MODERATOR, VIEWER, role_permissions

    held = {
        group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        for group in Group.objects.prefetch_related("permissions__content_type")
    }
    assert {role: set(perms) for role, perms in role_permissions().items()} == {
        role: held[role] for role in (VIEWER, MODERATOR, APPROVER, ADMIN)
    }
    assert held[VIEWER] < held[MODERATOR] < held[ADMIN] and held[APPROVER] < held[ADMIN]
    # Four eyes: who proposes does not approve, and the other way round.
    assert "forums.approve_bulkaction" not in held[MODERATOR]
    assert "forums.propose_bulkaction" not in held[APPROVER]
    declared = {p for area in areas() for p in area.permissions}
    assert held[ADMIN] == declared
