"""Tags in the browser's terms: one row per name with a count per forum, a tag's page saying
how each forum would change it, the forms, the fragments, and who may do what."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from forums.models import AuditEntry, BulkAction

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def both(discourse_connection, nodebb_connection):
    return discourse_connection, nodebb_connection


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_tag_on_two_forums_is_one_row_with_two_counts(viewer_client, both, discourse_sandbox,
                                                         nodebb_sandbox):  # fmt: skip
    d = sum("api" in t["tags"] for t in discourse_sandbox.app.topics.values())
    n = sum("api" in t["tags"] for t in nodebb_sandbox.app.state.topics.values())
    html = viewer_client.get(reverse("forums:tag-list"), {"q": "api"}).content.decode()
    row = html[html.index('href="/forums/tags/t/api/"') :].split("</tr>")[0]
    assert f"Sandbox Discourse: <strong>{d}</strong>" in row
    assert f"Sandbox NodeBB: <strong>{n}</strong>" in row
    assert f"<td>{d + n}</td>" in row
    assert "Create a tag" not in html  # a Viewer sees, never changes


def test_filters_and_the_fragment(viewer_client, both, discourse_sandbox):
    discourse, nodebb = both
    discourse_sandbox.app._ensure_tag("lonely")
    url = reverse("forums:tag-list")
    unused = viewer_client.get(url, {"show": "unused"}, headers=HTMX).content.decode()
    assert unused.lstrip().startswith('<div id="tag-table"') and "<html" not in unused
    assert "lonely" in unused and ">api<" not in unused
    one = viewer_client.get(url, {"show": "one"}).content.decode()
    assert ">billing<" in one and ">api<" not in one  # billing: Discourse only
    only = viewer_client.get(url, {"forum": [nodebb.pk]}).content.decode()
    assert ">docker<" in only and ">billing<" not in only


def test_a_scope_shows_where_a_tag_has_one(viewer_client, both):
    from unittest import mock

    from forums.clients.records import ForumTag
    from forums.tags import selectors

    scoped = [ForumTag("billing", 4, scope="Ideas"), ForumTag("billing", 2, scope="Bugs")]
    with mock.patch.object(selectors, "_fetch_tags", return_value=scoped):
        html = viewer_client.get(reverse("forums:tag-list")).content.decode()
    assert '<span class="scope">· Ideas</span>: <strong>4</strong>' in html
    assert '<span class="scope">· Bugs</span>: <strong>2</strong>' in html


def test_a_tags_page_says_how_each_forum_would_change_it(viewer_client, both, nodebb_sandbox):
    count = sum("howto" in t["tags"] for t in nodebb_sandbox.app.state.topics.values())
    html = viewer_client.get(reverse("forums:tag-detail", args=["howto"])).content.decode()
    discourse_row, nodebb_row = html.split("<tr>")[2], html.split("<tr>")[3]
    assert "Sandbox Discourse" in discourse_row and discourse_row.count("one call") == 3
    assert "Sandbox NodeBB" in nodebb_row
    assert nodebb_row.count(f"by retagging its {count} topic") == 3
    assert "Rename…" not in html  # Viewer
    missing = viewer_client.get(reverse("forums:tag-detail", args=["nowhere"]))
    assert missing.status_code == 404 and "No enabled forum has a tag named" in (
        missing.content.decode())  # fmt: skip


def test_rename_everywhere_is_proposed_with_each_forums_way(moderator_client, both):
    discourse, nodebb = both
    url = reverse("forums:tag-change", args=["howto", "rename"])
    page = moderator_client.get(url).content.decode()
    assert "Sandbox Discourse (one call)" in page and "Sandbox NodeBB (by retagging its" in page
    response = moderator_client.post(url, {"connections": [discourse.pk, nodebb.pk],
                                           "new_name": "how-to"})  # fmt: skip
    action = BulkAction.objects.get()
    assert response["Location"] == reverse("forums:bulk-detail", args=[action.pk])
    assert action.params == {"tag": "howto", "new_name": "how-to"}


def test_rename_onto_an_existing_tag_offers_merge(moderator_client, both):
    discourse, nodebb = both
    url = reverse("forums:tag-change", args=["howto", "rename"])
    html = moderator_client.post(url, {"connections": [discourse.pk, nodebb.pk],
                                       "new_name": "bug"}).content.decode()  # fmt: skip
    assert "merge howto into bug instead" in html
    assert reverse("forums:tag-change", args=["howto", "merge"]) + "?into=bug" in html
    merge = moderator_client.get(reverse("forums:tag-change", args=["howto", "merge"]),
                                 {"into": "bug"}).content.decode()  # fmt: skip
    assert 'value="bug"' in merge
    assert not BulkAction.objects.exists()


def test_delete_on_one_discourse_forum_at_once_with_typed_confirmation(
    moderator_client, both, discourse_sandbox
):
    discourse, _ = both
    url = reverse("forums:tag-change", args=["billing", "delete"])
    html = moderator_client.post(url, {"connections": [discourse.pk],
                                       "confirm": "bill"}).content.decode()  # fmt: skip
    assert "Type the tag" in html and "billing" in discourse_sandbox.app.tags
    response = moderator_client.post(url, {"connections": [discourse.pk], "confirm": "billing"})
    assert response["Location"] == reverse("forums:tag-list")
    assert "billing" not in discourse_sandbox.app.tags
    assert AuditEntry.objects.get(action="tag.delete").connection_name == "Sandbox Discourse"


def test_create_lists_only_forums_that_create_tags(moderator_client, both, discourse_sandbox):
    discourse, nodebb = both
    page = moderator_client.get(reverse("forums:tag-create")).content.decode()
    assert "Not offered by Sandbox NodeBB" in page
    assert f'value="{nodebb.pk}"' not in page.split("<form")[1].split("</form>")[0]
    response = moderator_client.post(
        reverse("forums:tag-create"), {"connections": [discourse.pk], "name": "payments"}
    )
    assert response.status_code == 302 and "payments" in discourse_sandbox.app.tags


def test_retag_topics_ticked_on_a_tags_page(moderator_client, both, nodebb_sandbox):
    discourse, nodebb = both
    topic = next(t for t, v in nodebb_sandbox.app.state.topics.items() if "howto" in v["tags"])
    url = reverse("forums:tag-retag")
    page = moderator_client.post(url, {"topic": [f"{nodebb.pk}:{topic}"]}).content.decode()
    assert "1 topic</strong> ticked on the tag" in page and "1 on Sandbox NodeBB" in page
    response = moderator_client.post(
        url, {"topic": [f"{nodebb.pk}:{topic}"], "retag": "1", "add": "guide"}
    )
    action = BulkAction.objects.get()
    assert response["Location"] == reverse("forums:bulk-detail", args=[action.pk])
    assert action.kind == "retag" and action.params["add"] == ["guide"]
    assert list(action.items.values_list("target", flat=True)) == [str(topic)]


def test_retag_every_topic_with_a_tag(moderator_client, both):
    discourse, nodebb = both
    url = reverse("forums:tag-retag")
    assert 'value="howto"' in moderator_client.get(url, {"tag": "howto"}).content.decode()
    html = moderator_client.post(
        url,
        {"retag": "1", "connections": [discourse.pk, nodebb.pk], "source": "tag", "tag": "howto"},
    ).content.decode()
    assert "Say which tags to add or remove." in html and not BulkAction.objects.exists()
    moderator_client.post(
        url,
        {
            "retag": "1",
            "connections": [discourse.pk, nodebb.pk],
            "source": "tag",
            "tag": "howto",
            "add": "guide",
        },
    )
    action = BulkAction.objects.get()
    assert action.kind == "retag_tagged" and action.params["tag"] == "howto"


def test_tag_groups_page_and_fragment(viewer_client, both):
    discourse, nodebb = both
    html = viewer_client.get(reverse("forums:tag-group-list", args=[discourse.pk])).content.decode()
    assert "Platforms" in html and "android, ios" in html and "Create a tag group" not in html
    fragment = viewer_client.get(reverse("forums:tag-group-list", args=[discourse.pk]),
                                 headers=HTMX).content.decode()  # fmt: skip
    assert fragment.lstrip().startswith('<div id="tag-groups"') and "<html" not in fragment
    none = viewer_client.get(reverse("forums:tag-group-list", args=[nodebb.pk])).content.decode()
    assert "Tag groups are not offered by this forum." in none


def test_edit_a_tag_group_keeps_its_tags(moderator_client, both, discourse_sandbox):
    discourse, _ = both
    group = next(g for g in discourse_sandbox.app.tag_groups.values() if g["name"] == "Status")
    url = reverse("forums:tag-group-edit", args=[discourse.pk, group["id"]])
    page = moderator_client.get(url).content.decode()
    assert 'value="Status"' in page and "solved" in page
    response = moderator_client.post(url, {"name": "State", "tag_names": "solved, wontfix",
                                           "one_per_topic": "on"})  # fmt: skip
    assert response.status_code == 302
    assert group["name"] == "State" and group["tag_names"] == ["solved", "wontfix"]
    assert group["one_per_topic"] is True


# --- who may do what --------------------------------------------------------------------------
def test_viewer_and_approver_get_403_on_every_change(viewer, approver, both):
    discourse, nodebb = both
    posts = [
        (reverse("forums:tag-change", args=["howto", "rename"]),
         {"connections": [discourse.pk], "new_name": "how-to"}),
        (reverse("forums:tag-change", args=["howto", "delete"]),
         {"connections": [discourse.pk], "confirm": "howto"}),
        (reverse("forums:tag-create"), {"connections": [discourse.pk], "name": "forged"}),
        (reverse("forums:tag-delete-unused", args=[discourse.pk]), {"confirm": "DELETE"}),
        (reverse("forums:tag-retag"), {"retag": "1", "connections": [nodebb.pk],
                                       "source": "tag", "tag": "howto", "add": "x-y"}),
        (reverse("forums:tag-group-list", args=[discourse.pk]), {"name": "Forged"}),
        (reverse("forums:tag-group-delete", args=[discourse.pk, 1]), {"confirm": "Platforms"}),
    ]  # fmt: skip
    for client in (signed_in(viewer), signed_in(approver)):
        for url, data in posts:
            assert client.post(url, data).status_code == 403, url
    assert not BulkAction.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="tag").exists()


def test_moderator_sees_the_changes_offered(moderator, both):
    html = signed_in(moderator).get(reverse("forums:tag-detail", args=["howto"])).content.decode()
    assert "Rename…" in html and "Retag its topics…" in html
    assert 'name="topic"' in html  # topics can be ticked for a retag


def test_a_third_platform_with_tag_spaces(viewer_client, both, userecho_connection):
    html = viewer_client.get(reverse("forums:tag-list"), {"q": "bug"}).content.decode()
    row = html[html.index('href="/forums/tags/t/bug/"') :].split("</tr>")[0]
    assert 'Sandbox UserEcho <span class="scope">· Ideas &amp; Feedback</span>: <strong>9' in row
    assert 'Sandbox UserEcho <span class="scope">· Support</span>: <strong>7' in row
    detail = viewer_client.get(reverse("forums:tag-detail", args=["bug"])).content.decode()
    userecho_row = next(r for r in detail.split("<tr>") if "Sandbox UserEcho" in r)
    userecho_row = userecho_row.split("</tr>")[0]
    assert "Ideas &amp; Feedback, Support, Beta program" in userecho_row
    assert "<td>19</td>" in userecho_row  # 9 + 7 + 3, one line per forum
    # Issue 22, finding 8: the page says truthfully what a change by name touches.
    assert userecho_row.count("3 calls, one in each forum of the project that has it") == 2
    assert "by retagging its 19 topics" in userecho_row


def test_a_userecho_tag_is_renamed_in_the_one_forum_chosen(
    moderator_client, userecho_connection, userecho_sandbox
):
    """Issue 22, finding 8: a rename by name touched every forum of the project."""
    url = reverse("forums:tag-change", args=["bug", "rename"])
    page = moderator_client.get(url).content.decode()
    assert "Only in" in page and "UserEcho keeps tags per forum of the project" in page
    moderator_client.post(url, {"connections": [userecho_connection.pk], "new_name": "defect",
                                "scope": "Support"})  # fmt: skip
    names = {(t["forum_id"], t["name"]) for t in userecho_sandbox.app.state.tags.values()}
    assert (2, "defect") in names and (2, "bug") not in names
    assert (1, "bug") in names and (3, "bug") in names
    entry = AuditEntry.objects.get(action="tag.rename")
    assert "only in Support" in entry.message


def test_an_empty_tags_page_says_how_to_get_a_forum(admin_user, viewer):
    """Issue 26, item 15: a next step, for those allowed to take it; the others whom to ask."""
    from django.test import Client

    admin_client_, viewer_client = Client(), Client()
    admin_client_.force_login(admin_user)
    viewer_client.force_login(viewer)
    url = reverse("forums:tag-list")
    html = admin_client_.get(url).content.decode()
    assert "No enabled forum to ask." in html
    assert f'href="{reverse("forums:connection-create")}">Connect a forum</a>' in html
    viewer = viewer_client.get(url).content.decode()
    assert "Ask a Forumdeck Admin to connect one." in viewer
    assert reverse("forums:connection-create") not in viewer


def test_a_busy_forum_shows_the_tag_as_last_seen_and_stays_a_choice(moderator_client, both):
    from forums.clients.records import ForumTag
    from forums.core.fleet_index.rows import index_tags_save
    from forums.models import IndexSync
    from tests.bulk.helpers import exhaust_budget

    discourse, nodebb = both
    IndexSync.objects.create(connection=nodebb)
    index_tags_save(connection=nodebb, tags=[ForumTag(name="howto", topic_count=5)],
                    generation=0)  # fmt: skip
    exhaust_budget(nodebb, per_minute=60)
    html = moderator_client.get(reverse("forums:tag-detail", args=["howto"])).content.decode()
    row = html.split("<tr>")[3]
    assert "Sandbox NodeBB" in row and "last known" in row and "<td>5" in row
    assert "Showing what Forumdeck last saw of it, as of" in row
    page = moderator_client.get(reverse("forums:tag-change", args=["howto", "rename"]))
    assert "Sandbox NodeBB (by retagging its 5 topics, one by one), busy now" in (
        page.content.decode()
    )


def test_a_nodebb_tag_left_without_topics_says_nodebb_keeps_it(viewer_client, moderator_client,
                                                               both, nodebb_sandbox):  # fmt: skip
    """Issue 22, finding 7: a tag renamed or deleted by retagging stays on NodeBB with 0
    topics; its page says so instead of looking like a tag still in use."""
    for topic in nodebb_sandbox.app.state.topics.values():
        topic["tags"] = [t for t in topic["tags"] if t != "howto"]
    html = viewer_client.get(reverse("forums:tag-detail", args=["howto"])).content.decode()
    assert "no topic carries “howto” any more" in html
    assert "NodeBB keeps a tag with no topics in its list" in html
    page = moderator_client.get(reverse("forums:tag-change", args=["howto", "rename"]))
    assert "the old tag stays behind with no topics" in page.content.decode()


def test_a_userecho_tag_is_created_in_the_one_forum_chosen(
    moderator_client, userecho_connection, userecho_sandbox
):
    """Issue 22, finding 8: a create touched every forum of the project that lacked it."""
    url = reverse("forums:tag-create")
    page = moderator_client.get(url).content.decode()
    assert "every forum of the project that lacks it" in page and "Beta program" in page
    moderator_client.post(url, {"connections": [userecho_connection.pk], "name": "billing",
                                "scope": "Beta program"})  # fmt: skip
    made = {t["forum_id"] for t in userecho_sandbox.app.state.tags.values()
            if t["name"] == "billing"}  # fmt: skip
    before = {2}  # Support has one from the seed
    assert made == before | {3}
    assert "only in Beta program" in AuditEntry.objects.get(action="tag.create").message
