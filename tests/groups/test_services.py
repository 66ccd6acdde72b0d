"""Changing groups on the Discourse and NodeBB sandboxes: each verb, the bad input refused
before anything is sent, the forum refusing, and the audit log holding the forum's answer."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError

from forums.bulk import engine
from forums.groups import services
from forums.groups.selectors import group_sync_preview
from forums.models import AuditEntry, BulkAction
from tests.bulk.helpers import approve

pytestmark = pytest.mark.django_db


def d_group(sandbox, name: str) -> dict:
    return next(g for g in sandbox.app.groups.values() if g["name"] == name)


def run(action: BulkAction, approver) -> BulkAction:
    assert engine.plan_action(action.pk).again_in is None
    action.refresh_from_db()
    approve(action, approver)
    assert engine.run_action(action.pk).again_in is None
    action.refresh_from_db()
    return action


# --- create -----------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["discourse", "nodebb"])
def test_create_on_one_forum_is_direct_and_audited(
    which, moderator, discourse_connection, nodebb_connection, discourse_sandbox, nodebb_sandbox
):
    connection = discourse_connection if which == "discourse" else nodebb_connection
    outcome = services.group_create(
        actor=moderator, connection=connection, name="night-shift", full_name="Night shift",
        description="Moderators after dark", visible=False,
    )  # fmt: skip
    assert outcome.ok and outcome.group.name == "night-shift"
    if which == "discourse":
        assert d_group(discourse_sandbox, "night-shift")["visibility_level"] == 2
    else:
        assert nodebb_sandbox.app.state.groups["night-shift"]["hidden"] == 1
    entry = AuditEntry.objects.get(action="group.create")
    assert entry.outcome == "success" and entry.connection_name == connection.name
    assert "Created group night-shift" in entry.message


def test_bad_names_and_duplicates_are_refused_before_anything_is_sent(
    moderator, discourse_connection, nodebb_connection, discourse_sandbox
):
    discourse_sandbox.app.calls.clear()
    with pytest.raises(ValidationError, match=r"letters, digits, _, - and \."):
        services.group_create(actor=moderator, connection=discourse_connection, name="Night shift")
    assert discourse_sandbox.app.calls.records() == []
    with pytest.raises(ValidationError, match="already has a group named “beta-testers”"):
        services.group_create(actor=moderator, connection=discourse_connection, name="beta-testers")
    with pytest.raises(ValidationError, match="already has a group"):
        services.group_create(actor=moderator, connection=nodebb_connection, name="Translators")
    assert not AuditEntry.objects.filter(action="group.create").exists()
    assert discourse_sandbox.app.calls.count("POST", "/admin/groups.json") == 0


def test_the_forum_refusing_is_shown_and_audited(
    moderator, discourse_connection, discourse_sandbox
):
    # A username is no group name on Discourse: only the forum knows who is registered.
    taken = next(u["username"] for u in discourse_sandbox.app.users.values() if u["id"] > 4)
    outcome = services.group_create(actor=moderator, connection=discourse_connection, name=taken)
    assert not outcome.ok and "Name has already been taken" in outcome.message
    entry = AuditEntry.objects.get(action="group.create")
    assert entry.outcome == "failure" and "already been taken" in entry.message


def test_create_on_several_forums_is_one_bulk_action(
    moderator, approver, discourse_connection, nodebb_connection, discourse_sandbox, nodebb_sandbox
):
    with pytest.raises(ValidationError, match="already exists on Sandbox NodeBB"):
        services.group_create_propose(
            actor=moderator, connections=[discourse_connection, nodebb_connection],
            name="newsletter",
        )  # fmt: skip
    action = services.group_create_propose(
        actor=moderator, connections=[discourse_connection, nodebb_connection], name="night-shift"
    )
    assert action.kind == "group_create" and action.state == "planning"
    assert run(action, approver).state == "succeeded"
    assert d_group(discourse_sandbox, "night-shift")
    assert "night-shift" in nodebb_sandbox.app.state.groups


# --- update -----------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["discourse", "nodebb"])
def test_update_renames_and_describes(
    which, moderator, discourse_connection, nodebb_connection, discourse_sandbox, nodebb_sandbox
):
    connection = discourse_connection if which == "discourse" else nodebb_connection
    key = "beta-testers"
    outcome = services.group_update(
        actor=moderator, connection=connection, key=key, name="early-birds",
        full_name="Early birds", description="First to try", visible=True,
    )  # fmt: skip
    assert outcome.ok and outcome.group.key == "early-birds", outcome.message
    if which == "discourse":
        group = d_group(discourse_sandbox, "early-birds")
        assert group["bio_raw"] == "First to try" and group["full_name"] == "Early birds"
    else:
        assert nodebb_sandbox.app.state.groups["early-birds"]["description"] == "First to try"
    entry = AuditEntry.objects.get(action="group.update")
    assert entry.target == ("beta-testers" if which == "discourse" else "Beta Testers")
    assert "name" in entry.details and entry.outcome == "success"


def test_update_of_a_vanished_or_automatic_group_is_refused(
    moderator, discourse_connection, nodebb_connection
):
    with pytest.raises(ValidationError, match="deleted or renamed since the page was loaded"):
        services.group_update(
            actor=moderator,
            connection=discourse_connection,
            key="gone-group",
            name="x-group",
            full_name="",
            description="",
            visible=True,
        )
    with pytest.raises(ValidationError, match="automatic group"):
        services.group_update(
            actor=moderator,
            connection=discourse_connection,
            key="staff",
            name="staff",
            full_name="",
            description="",
            visible=True,
        )
    with pytest.raises(ValidationError, match="system group"):
        services.group_update(actor=moderator, connection=nodebb_connection,
                              key="administrators", name="administrators", full_name="",
                              description="", visible=True)  # fmt: skip
    assert not AuditEntry.objects.filter(action__startswith="group.").exists()


# --- delete -----------------------------------------------------------------------------------
def test_delete_an_empty_group_at_once_and_one_with_members_by_approval(
    moderator, approver, discourse_connection, discourse_sandbox
):
    services.group_create(actor=moderator, connection=discourse_connection, name="empty-one")
    with pytest.raises(ValidationError, match="Type the group's name exactly"):
        services.group_delete(actor=moderator, connection=discourse_connection, key="empty-one",
                              confirm="empty")  # fmt: skip
    outcome = services.group_delete(
        actor=moderator, connection=discourse_connection, key="empty-one", confirm="empty-one"
    )
    assert outcome.ok and outcome.action is None
    assert not any(g["name"] == "empty-one" for g in discourse_sandbox.app.groups.values())
    assert AuditEntry.objects.filter(action="group.delete", outcome="success").count() == 1

    outcome = services.group_delete(
        actor=moderator, connection=discourse_connection, key="translators", confirm="translators"
    )
    assert outcome.action is not None and "25 member(s)" in outcome.message
    assert d_group(discourse_sandbox, "translators")  # nothing sent yet
    assert run(outcome.action, approver).state == "succeeded"
    assert not any(g["name"] == "translators" for g in discourse_sandbox.app.groups.values())


# --- members ----------------------------------------------------------------------------------
def test_members_are_proposed_with_the_group_checked_on_every_forum(
    moderator, approver, discourse_connection, nodebb_connection, discourse_sandbox, nodebb_sandbox
):
    people = [("pat_one", "pat.one@example.net"), ("pat_two", "pat.two@example.net")]
    for name, email in people:
        discourse_sandbox.app.add_person(username=name, email=email)
        nodebb_sandbox.app.add_person(username=name, email=email)
    action = services.group_members_propose(
        actor=moderator, connections=[discourse_connection, nodebb_connection], key="translators",
        adding=True, csv_file=io.BytesIO(b"email\npat.one@example.net\npat.two@example.net\n"),
        csv_encoding="utf-8-sig",
    )  # fmt: skip
    assert action.kind == "group_add" and action.params == {"group": "translators"}
    assert run(action, approver).state == "succeeded"
    d_members = {discourse_sandbox.app.users[u]["username"]
                 for u in d_group(discourse_sandbox, "translators")["members"]}  # fmt: skip
    n_members = {nodebb_sandbox.app.state.users[u]["username"]
                 for u in nodebb_sandbox.app.state.groups["Translators"]["members"]}  # fmt: skip
    assert {"pat_one", "pat_two"} <= d_members and {"pat_one", "pat_two"} <= n_members


def test_members_of_a_vanished_group_are_refused_before_proposing(
    moderator, discourse_connection, nodebb_connection, nodebb_sandbox
):
    del nodebb_sandbox.app.state.groups["Translators"]
    with pytest.raises(ValidationError, match="no group “translators” on Sandbox NodeBB"):
        services.group_members_propose(
            actor=moderator, connections=[discourse_connection, nodebb_connection],
            key="translators", adding=True, targets_text="alice",
        )  # fmt: skip
    assert not BulkAction.objects.exists()


# --- sync -------------------------------------------------------------------------------------
@pytest.fixture
def shared_people(discourse_sandbox, nodebb_sandbox):
    """Five people on the Discourse and NodeBB sandboxes (other usernames on NodeBB), in
    Discourse's translators."""
    d, n = discourse_sandbox.app, nodebb_sandbox.app
    group = d_group(discourse_sandbox, "translators")
    for i in range(5):
        uid = d.add_person(username=f"lin_{i}", email=f"lin{i}@example.net")
        n.add_person(username=f"lin-n{i}", email=f"lin{i}@example.net")
        group["members"][uid] = d.now
    return group


def test_sync_preview_matches_by_email_then_username(
    shared_people, discourse_connection, nodebb_connection, nodebb_sandbox
):
    preview = group_sync_preview(
        source=discourse_connection, source_key="translators",
        targets=[(nodebb_connection, "translators")], remove=True,
    )  # fmt: skip
    forum = preview.forums[0]
    assert not preview.error and not forum.error
    added = {m.username: m.by for m in forum.add}
    assert {f"lin-n{i}": "e-mail" for i in range(5)}.items() <= added.items()
    # NodeBB's translators who are nobody in the source group would go.
    n_group = nodebb_sandbox.app.state.groups["Translators"]
    assert len(forum.remove) == len(n_group["members"]) - forum.in_step
    assert forum.no_account  # most seeded Discourse people have no NodeBB account


def test_sync_proposes_the_difference_and_it_vanishes(
    shared_people, moderator, approver, discourse_connection, nodebb_connection
):
    targets = [(nodebb_connection, "translators")]
    action = services.group_sync_propose(
        actor=moderator, source=discourse_connection, source_key="translators", targets=targets
    )
    assert action.kind == "group_sync"
    assert action.params["groups"] == {"Sandbox NodeBB": "translators"}
    assert run(action, approver).state == "succeeded"
    after = group_sync_preview(source=discourse_connection, source_key="translators",
                               targets=targets)  # fmt: skip
    assert after.forums[0].add == [] and after.forums[0].in_step >= 5
    with pytest.raises(ValidationError, match="already in step"):
        services.group_sync_propose(actor=moderator, source=discourse_connection,
                                    source_key="translators", targets=targets)  # fmt: skip


def test_sync_into_an_automatic_group_is_refused(
    moderator, discourse_connection, nodebb_connection
):
    with pytest.raises(ValidationError, match="system group"):
        services.group_sync_propose(
            actor=moderator, source=discourse_connection, source_key="translators",
            targets=[(nodebb_connection, "administrators")],
        )  # fmt: skip


def test_a_busy_forum_stays_in_a_group_created_everywhere_checked_by_the_index(
    moderator, discourse_connection, nodebb_connection
):
    from forums.clients.records import ForumGroup
    from forums.core.fleet_index.rows import index_groups_save
    from forums.models import IndexSync
    from tests.bulk.helpers import exhaust_budget

    IndexSync.objects.create(connection=nodebb_connection)
    index_groups_save(connection=nodebb_connection, generation=0,
                      groups=[ForumGroup(id=7, name="newsletter")])  # fmt: skip
    exhaust_budget(nodebb_connection, per_minute=60)  # NodeBB cannot be asked now
    with pytest.raises(ValidationError, match="already exists on Sandbox NodeBB"):
        services.group_create_propose(
            actor=moderator, connections=[discourse_connection, nodebb_connection],
            name="newsletter",
        )  # fmt: skip
    action = services.group_create_propose(
        actor=moderator, connections=[discourse_connection, nodebb_connection], name="night-shift"
    )
    assert set(action.connections.all()) == {discourse_connection, nodebb_connection}


# --- issue 22, finding 6 (NodeBB) ------------------------------------------------------------
def test_nodebb_group_created_here_is_private_and_deleted_at_once(
    moderator, nodebb_connection, nodebb_sandbox
):
    """A private NodeBB group can be made, and a group Forumdeck created does not keep the
    acting admin as member: deleting it needs no approval."""
    outcome = services.group_create(
        actor=moderator, connection=nodebb_connection, name="Closed Circle", private=True
    )
    assert outcome.ok and nodebb_sandbox.app.state.groups["Closed Circle"]["private"] == 1
    outcome = services.group_delete(
        actor=moderator, connection=nodebb_connection, key="closed-circle", confirm="Closed Circle"
    )
    assert outcome.ok and outcome.action is None
    assert "Closed Circle" not in nodebb_sandbox.app.state.groups


def test_nodebb_group_holding_only_the_acting_admin_is_deleted_at_once(
    moderator, nodebb_connection, nodebb_sandbox
):
    """A group made before the fix still has the acting admin as its one member."""
    nodebb_sandbox.app.state.groups["Gardeners"]["members"] = [1]
    outcome = services.group_delete(
        actor=moderator, connection=nodebb_connection, key="gardeners", confirm="Gardeners"
    )
    assert outcome.ok and outcome.action is None
    assert "Gardeners" not in nodebb_sandbox.app.state.groups
