"""Groups in the browser's terms: the table, a group's page and its fragments, the forms, the
CSV, and who may do what."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from forums.bulk import engine
from forums.models import AuditEntry, BulkAction

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def both(discourse_connection, nodebb_connection):
    return discourse_connection, nodebb_connection


def test_every_group_on_every_forum_in_one_table(viewer_client, both):
    html = viewer_client.get(reverse("forums:group-list")).content.decode()
    assert "Sandbox Discourse</strong>:" in html and "Sandbox NodeBB</strong>:" in html
    assert "beta-testers" in html and "Beta Testers" in html
    assert "trust_level_0" in html and "Automatic" in html  # shown, with the reason on hover
    assert "Create a group" not in html  # a Viewer sees, never changes


def test_search_filter_and_pages_come_back_as_the_fragment(viewer_client, both,
                                                           discourse_sandbox):  # fmt: skip
    discourse, nodebb = both
    app = discourse_sandbox.app
    for n in range(30):  # past one page of 50 rows
        gid = 500 + n
        app.groups[gid] = app._new_group(gid, f"cohort-{n:02d}")
    url = reverse("forums:group-list")
    html = viewer_client.get(url, {"q": "beta"}, headers=HTMX).content.decode()
    assert html.lstrip().startswith('<div id="group-table"') and "<html" not in html
    assert "beta-testers" in html and "Beta Testers" in html and "translators" not in html
    only = viewer_client.get(url, {"q": "beta", "forum": [nodebb.pk]}, headers=HTMX)
    assert "Beta Testers" in only.content.decode()
    assert f"/groups/{discourse.pk}/beta-testers/" not in only.content.decode()
    automatic = viewer_client.get(url, {"kind": "automatic"}).content.decode()
    assert "trust_level_0" in automatic and "beta-testers" not in automatic
    page_two = viewer_client.get(url, {"page": 2}, headers=HTMX).content.decode()
    assert "Page 2 of 2 (67 groups)" in page_two and "‹ Previous" in page_two


def test_a_forum_that_fails_gets_its_own_line(viewer_client, both, nodebb_sandbox):
    nodebb_sandbox.app.config.faults.outage_for(60)
    html = viewer_client.get(reverse("forums:group-list"), {"refresh": 1}).content.decode()
    assert '<li class="bad"><strong>Sandbox NodeBB</strong>' in html
    assert '<li class="ok"><strong>Sandbox Discourse</strong>' in html
    assert "beta-testers" in html and "Beta Testers" not in html  # Discourse still answers
    nodebb_sandbox.app.config.faults.outage_until = 0


def test_a_groups_page_with_members_paged_searched_and_exported(viewer_client, both):
    discourse, _ = both
    url = reverse("forums:group-detail", args=[discourse.pk, "beta-testers"])
    html = viewer_client.get(url).content.decode()
    assert "Beta testers" in html and "Page 1 of 1 (40 members)" in html
    assert 'id="group-members"' in html and "Add members" not in html
    fragment = viewer_client.get(url, {"q": "zzzz-nobody"}, headers={**HTMX,
                                 "HX-Target": "group-members"}).content.decode()  # fmt: skip
    assert fragment.lstrip().startswith('<div id="group-members"') and "<html" not in fragment
    assert "No member matches “zzzz-nobody”" in fragment
    response = viewer_client.get(reverse("forums:group-members-csv",
                                         args=[discourse.pk, "beta-testers"]))  # fmt: skip
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["forum", "group", "user_id", "username"] and len(rows) == 41


def test_an_automatic_group_shows_why_it_cannot_change(moderator_client, both):
    discourse, nodebb = both
    html = moderator_client.get(
        reverse("forums:group-detail", args=[discourse.pk, "trust_level_1"])
    ).content.decode()
    assert "Not editable:" in html and "Discourse itself decides who is in it" in html
    assert "Add members" not in html and "Delete" not in html.split("Members</h2>")[0][-400:]
    html = moderator_client.get(
        reverse("forums:group-edit", args=[nodebb.pk, "administrators"])
    ).content.decode()
    assert "A system group" in html and "<form" not in html.split("content-start")[-1][:2000]


def test_a_vanished_group_is_404_with_a_plain_message(viewer_client, both):
    discourse, _ = both
    response = viewer_client.get(reverse("forums:group-detail", args=[discourse.pk, "no-such"]))
    assert response.status_code == 404
    assert "deleted or renamed" in response.content.decode()


def test_moderator_creates_on_one_forum_directly(moderator_client, both, discourse_sandbox):
    discourse, _ = both
    response = moderator_client.post(
        reverse("forums:group-create"),
        {"connections": [discourse.pk], "name": "night-shift", "full_name": "Night shift",
         "visible": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "forums:group-detail", args=[discourse.pk, "night-shift"]
    )
    assert any(g["name"] == "night-shift" for g in discourse_sandbox.app.groups.values())


def test_create_form_refuses_a_name_before_anything_is_sent(moderator_client, both,
                                                            discourse_sandbox):  # fmt: skip
    discourse, nodebb = both
    discourse_sandbox.app.calls.clear()
    html = moderator_client.post(
        reverse("forums:group-create"),
        {"connections": [discourse.pk, nodebb.pk], "name": "Night shift"},
    ).content.decode()
    assert "Discourse refuses the group name “Night shift”" in html
    assert discourse_sandbox.app.calls.records() == [] and not BulkAction.objects.exists()


def test_create_on_both_forums_is_proposed(moderator_client, both):
    discourse, nodebb = both
    response = moderator_client.post(
        reverse("forums:group-create"),
        {"connections": [discourse.pk, nodebb.pk], "name": "night-shift", "visible": "on"},
    )
    action = BulkAction.objects.get()
    assert response["Location"] == reverse("forums:bulk-detail", args=[action.pk])
    assert action.kind == "group_create" and action.connections.count() == 2


def test_edit_and_delete_pages(moderator_client, both, discourse_sandbox):
    discourse, _ = both
    edit = reverse("forums:group-edit", args=[discourse.pk, "support-team"])
    assert 'value="support-team"' in moderator_client.get(edit).content.decode()
    response = moderator_client.post(
        edit,
        {"name": "helpdesk", "full_name": "Help desk", "description": "We help", "visible": "on"},
    )
    assert response["Location"] == reverse("forums:group-detail", args=[discourse.pk, "helpdesk"])
    delete = reverse("forums:group-delete", args=[discourse.pk, "helpdesk"])
    page = moderator_client.get(delete).content.decode()
    assert "12 members" in page and "Propose deleting helpdesk" in page
    wrong = moderator_client.post(delete, {"confirm": "help"}).content.decode()
    assert "Type the group&#x27;s name exactly" in wrong or "Type the group's name exactly" in wrong
    response = moderator_client.post(delete, {"confirm": "helpdesk"})
    action = BulkAction.objects.get(kind="group_delete")
    assert response["Location"] == reverse("forums:bulk-detail", args=[action.pk])
    assert any(g["name"] == "helpdesk" for g in discourse_sandbox.app.groups.values())


def test_add_members_from_a_csv_with_the_group_chosen_on_its_page(moderator_client, both):
    discourse, nodebb = both
    url = reverse("forums:group-members-change", args=[discourse.pk, "translators", "add"])
    page = moderator_client.get(url).content.decode()
    assert "Sandbox Discourse: translators" in page and "Sandbox NodeBB: Translators" in page
    upload = SimpleUploadedFile("people.csv", b"username\nalice\nnot valid!\nbob\n")
    html = moderator_client.post(
        url, {"connections": [discourse.pk, nodebb.pk], "csv_file": upload}
    ).content.decode()
    assert "line 3: <code>not valid!</code>" in html and "Nothing was proposed" in html
    assert not BulkAction.objects.exists()
    upload = SimpleUploadedFile("people.csv", b"username\nalice\nnot valid!\nbob\n")
    response = moderator_client.post(
        url, {"connections": [discourse.pk, nodebb.pk], "csv_file": upload, "accept_junk": "on"}
    )
    action = BulkAction.objects.get()
    assert response["Location"] == reverse("forums:bulk-detail", args=[action.pk])
    assert (action.kind, action.params, action.connections.count()) == (
        "group_add", {"group": "translators"}, 2)  # fmt: skip
    engine.plan_action(action.pk)  # the planning task reads the stored upload
    assert action.items.count() == 4  # alice and bob on both forums


def test_a_junk_paste_stops_the_members_form_as_it_stops_the_bulk_form(moderator_client, both):
    discourse, _ = both
    url = reverse("forums:group-members-change", args=[discourse.pk, "translators", "add"])
    html = moderator_client.post(
        url, {"connections": [discourse.pk], "targets": "alice\nwhat is this?\nbob"}
    ).content.decode()
    # The same words as the bulk form (tests/bulk/test_views.py): one shared clean.
    assert "1 line(s) cannot be read (listed below)" in html
    assert "line 2: <code>what is this?</code>" in html
    assert "Leave out the lines listed above and propose the rest" in html
    assert not BulkAction.objects.exists()


def test_sync_page_shows_the_difference_then_proposes(
    moderator_client, both, discourse_sandbox, nodebb_sandbox
):
    discourse, nodebb = both
    d, n = discourse_sandbox.app, nodebb_sandbox.app
    group = next(g for g in d.groups.values() if g["name"] == "translators")
    uid = d.add_person(username="sam_sync", email="sam.sync@example.net")
    n.add_person(username="samsync", email="sam.sync@example.net")
    group["members"][uid] = d.now
    url = reverse("forums:group-sync")
    page = moderator_client.get(url, {"source": f"{discourse.pk}:translators"}).content.decode()
    assert f'value="{discourse.pk}:translators" selected' in page
    data = {"source": f"{discourse.pk}:translators", "targets": [nodebb.pk], "preview": "1"}
    html = moderator_client.post(url, data).content.decode()
    assert "samsync (is sam_sync on Sandbox Discourse), matched by e-mail" in html
    assert "Propose this sync" in html
    # Proposing reuses the difference the page just showed: no forum is asked again.
    token = re.search(r'<input type="hidden" name="preview_token" value="([^"]+)">', html)
    d.calls.clear()
    n.calls.clear()
    response = moderator_client.post(url, {**data, "propose": "1", "preview_token": token[1]})
    assert d.calls.count() == n.calls.count() == 0
    action = BulkAction.objects.get()
    assert action.kind == "group_sync"
    assert response["Location"] == reverse("forums:bulk-detail", args=[action.pk])
    assert "add:samsync" in set(action.items.values_list("target", flat=True))


def test_sync_fragment_for_htmx(viewer_client, both):
    discourse, nodebb = both
    html = viewer_client.post(
        reverse("forums:group-sync"),
        {"source": f"{discourse.pk}:translators", "targets": [nodebb.pk], "preview": "1"},
        headers=HTMX,
    ).content.decode()
    assert html.lstrip().startswith('<section id="sync-preview"') and "<html" not in html
    assert "The difference, person by person" in html


# --- who may do what --------------------------------------------------------------------------
def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_viewer_and_approver_cannot_change_or_propose(viewer, approver, both):
    discourse, nodebb = both
    for client in (signed_in(viewer), signed_in(approver)):
        for name, args, data in [
            ("forums:group-create", [], {"connections": [discourse.pk], "name": "forged"}),
            ("forums:group-edit", [discourse.pk, "translators"], {"name": "forged"}),
            ("forums:group-delete", [discourse.pk, "translators"], {"confirm": "translators"}),
            ("forums:group-members-change", [discourse.pk, "translators", "add"],
             {"connections": [discourse.pk], "targets": "alice"}),
        ]:  # fmt: skip
            assert client.post(reverse(name, args=args), data).status_code == 403, name
        response = client.post(
            reverse("forums:group-sync"),
            {"source": f"{discourse.pk}:translators", "targets": [nodebb.pk], "propose": "1"},
        )
        assert response.status_code == 403
    assert not BulkAction.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="group.").exists()


def test_moderator_sees_the_actions_the_viewer_does_not(moderator, viewer, both):
    discourse, _ = both
    url = reverse("forums:group-detail", args=[discourse.pk, "translators"])
    mine = signed_in(moderator).get(url).content.decode()
    assert "Add members" in mine and "Sync to other forums" in mine and "Edit" in mine
    theirs = signed_in(viewer).get(url).content.decode()
    assert "Add members" not in theirs and "Sync to other forums" not in theirs


def test_admin_and_moderator_roles_carry_the_new_permissions(admin_user, moderator, approver):
    for user in (admin_user, moderator):
        assert user.has_perm("forums.change_forum_groups")
        assert user.has_perm("forums.change_forum_tags")
    assert not approver.has_perm("forums.change_forum_groups")
    assert not approver.has_perm("forums.change_forum_tags")
    assert signed_in(admin_user).get(reverse("forums:group-create")).status_code == 200


def test_a_forum_without_member_lists_says_so_and_offers_no_member_actions(
    moderator_client, both, userecho_connection
):
    url = reverse("forums:group-detail", args=[userecho_connection.pk, "Beta testers"])
    html = moderator_client.get(url).content.decode()
    assert "UserEcho does not list a group&#x27;s members through its API." in html or (
        "UserEcho does not list a group's members through its API." in html)  # fmt: skip
    assert "Add members" not in html and "Sync to other forums" not in html
    assert "Export CSV" not in html and "Edit" in html  # its name can still change
    add = reverse("forums:group-members-change",
                  args=[userecho_connection.pk, "Beta testers", "add"])  # fmt: skip
    assert moderator_client.get(add)["Location"] == url
    delete = moderator_client.get(
        reverse("forums:group-delete", args=[userecho_connection.pk, "Beta testers"])
    ).content.decode()
    assert "does not say how many members" in delete and "Propose deleting" in delete
    sync = moderator_client.get(reverse("forums:group-sync")).content.decode()
    assert "Sandbox UserEcho" not in sync  # no member list: neither source nor target
    table = moderator_client.get(reverse("forums:group-list"), {"q": "beta"}).content.decode()
    assert "Beta testers" in table and "Sandbox UserEcho" in table


# --- issue 26, items 15 and 20 ---------------------------------------------------------------
def test_the_sync_page_does_not_offer_the_source_groups_own_forum(moderator_client, both):
    discourse, nodebb = both
    url = reverse("forums:group-sync")
    before = moderator_client.get(url).content.decode()
    assert f'name="targets" value="{discourse.pk}"' in before  # no source yet: every forum
    page = moderator_client.get(url, {"source": f"{discourse.pk}:translators"}).content.decode()
    assert f'name="targets" value="{nodebb.pk}"' in page
    assert f'name="targets" value="{discourse.pk}"' not in page
    assert "Group on Sandbox Discourse" not in page and "Group on Sandbox NodeBB" in page
    # A forged one is still refused in words.
    forged = moderator_client.post(url, {"source": f"{discourse.pk}:translators",
                                         "targets": [discourse.pk], "preview": "1"})  # fmt: skip
    assert "cannot be the source group" in forged.content.decode()


def test_an_empty_groups_page_says_how_to_get_a_forum(admin_user, viewer):
    from django.test import Client

    admin_client_, viewer_client = Client(), Client()
    admin_client_.force_login(admin_user)
    viewer_client.force_login(viewer)
    url = reverse("forums:group-list")
    html = admin_client_.get(url).content.decode()
    assert "No enabled forum to ask." in html
    assert f'href="{reverse("forums:connection-create")}">Connect a forum</a>' in html
    viewer = viewer_client.get(url).content.decode()
    assert "Ask a Forumdeck Admin to connect one." in viewer
    assert reverse("forums:connection-create") not in viewer


def test_a_group_whose_name_holds_an_encoded_slash_opens_from_the_list(
    viewer_client, nodebb_connection, nodebb_sandbox
):
    """Issue 22: a name holding "%2F" (as text) must reach the forum as that text, not as
    "/": the list links to its page, the page reads the group."""
    from forums.sandbox.nodebb.seed import new_group

    nodebb_sandbox.app.state.groups["50%2F50 Club"] = new_group(
        "50%2F50 Club", 0, slug="502f50-club", members=[5]
    )
    html = viewer_client.get(reverse("forums:group-list")).content.decode()
    link = re.search(r'href="([^"]+)"[^>]*>50%2F50 Club<', html)
    assert link, "the list links to the group"
    page = viewer_client.get(link.group(1))
    assert page.status_code == 200 and "50%2F50 Club" in page.content.decode()


def test_a_big_nodebb_groups_members_page_reads_only_that_page_once(
    viewer_client, nodebb_connection, nodebb_sandbox
):
    """Issue 22, finding 6: each view of a big group re-read its whole member list."""
    app = nodebb_sandbox.app
    for n in range(130):
        app.state.groups["Beta Testers"]["members"].append(
            app.add_person(username=f"tester{n}", email=f"tester{n}@example.net")
        )
    total = len(app.state.groups["Beta Testers"]["members"])
    url = reverse("forums:group-detail", args=[nodebb_connection.pk, "beta-testers"])
    members = "/api/v3/groups/beta-testers/members"
    app.calls.clear()
    html = viewer_client.get(url, {"page": 2}).content.decode()
    assert f"({total} members)" in html
    first = app.calls.count("GET", members)
    assert 0 < first <= 3 < -(-total // 20)  # the page shown, not the whole list
    viewer_client.get(url, {"page": 2})
    assert app.calls.count("GET", members) == first  # kept a minute, not asked again
