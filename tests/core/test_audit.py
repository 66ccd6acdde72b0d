from __future__ import annotations

import pytest
from django.urls import reverse

from forums.core.audit import audit_record
from forums.models import AuditEntry
from tests.factories import ForumConnectionFactory

pytestmark = pytest.mark.django_db


def test_entries_are_append_only(admin_user):
    entry = audit_record(actor=admin_user, action="connection.test", target="x")
    entry.message = "rewritten"
    with pytest.raises(TypeError, match="append-only"):
        entry.save()
    with pytest.raises(TypeError, match="append-only"):
        entry.delete()
    with pytest.raises(TypeError, match="append-only"):
        AuditEntry.objects.all().delete()
    with pytest.raises(TypeError, match="append-only"):
        AuditEntry.objects.update(message="x")
    assert AuditEntry.objects.get(pk=entry.pk).message == ""


def test_admin_site_offers_no_edit_or_delete(admin_client_, admin_user):
    entry = audit_record(actor=admin_user, action="connection.test")
    admin_user.is_superuser = True
    admin_user.save()
    change = admin_client_.get(f"/admin/forums/auditentry/{entry.pk}/change/")
    assert b'type="submit"' not in change.content or b"Save" not in change.content
    delete = admin_client_.post(f"/admin/forums/auditentry/{entry.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_audit_page_lists_newest_first_and_filters(viewer_client, admin_user, moderator):
    forum_a = ForumConnectionFactory(name="Forum A")
    forum_b = ForumConnectionFactory(name="Forum B")
    audit_record(
        actor=admin_user,
        action="connection.create",
        connection=forum_a,
        target="Forum A",
        message="first",
    )
    audit_record(
        actor=moderator,
        action="connection.test",
        connection=forum_b,
        target="Forum B",
        message="second",
    )
    audit_record(
        actor=admin_user,
        action="connection.test",
        connection=forum_a,
        target="Forum A",
        message="third",
    )
    url = reverse("forums:audit-list")
    html = viewer_client.get(url).content.decode()
    assert html.index("third") < html.index("second") < html.index("first")

    def rows(**params):
        return viewer_client.get(url, params, headers={"HX-Request": "true"}).content.decode()

    by_person = rows(actor=moderator.pk)
    assert "second" in by_person and "first" not in by_person and "<html" not in by_person
    assert 'id="audit-table"' in by_person
    by_forum = rows(forum=forum_a.pk)
    assert "first" in by_forum and "third" in by_forum and "second" not in by_forum
    by_action = rows(action="connection.create")
    assert "first" in by_action and "third" not in by_action
    nothing = rows(action="encryption.rotate")
    assert "No entries match these filters" in nothing


def test_audit_page_paginates(viewer_client, admin_user):
    for i in range(55):
        audit_record(actor=admin_user, action="connection.test", target=f"t{i}")
    # Creating the two accounts and giving them their roles is in the log too.
    accounts = AuditEntry.objects.filter(action__startswith="account.").count()
    assert accounts == 4
    html = viewer_client.get(reverse("forums:audit-list")).content.decode()
    assert "Page 1 of 2" in html and f"({55 + accounts} entries)" in html
    page2 = viewer_client.get(reverse("forums:audit-list"), {"page": 2}).content.decode()
    assert "Page 2 of 2" in page2


def test_deleting_a_person_who_acted_is_refused(admin_user):
    from django.db.models import ProtectedError

    audit_record(actor=admin_user, action="connection.test")
    with pytest.raises(ProtectedError):
        admin_user.delete()
