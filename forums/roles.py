"""The four roles, as Django groups. Each role holds the permissions of the ones it builds on.

Migrations call ``sync_roles(apps)`` with their historical app registry, so a later migration
that adds a permission to a role only has to add it here and call it again.
"""

from __future__ import annotations

VIEWER = "Viewer"
MODERATOR = "Moderator"
APPROVER = "Approver"
ADMIN = "Admin"

_VIEWER = [
    "forums.view_forumconnection",
    "forums.view_auditentry",
    "forums.view_bulkaction",
    "forums.view_backups",
    "forums.view_calendar",
]
_MODERATOR = [
    *_VIEWER,
    "forums.test_forumconnection",
    "forums.moderate_forum_users",
    "forums.propose_bulkaction",
    "forums.run_backups",
    # One forum's groups and tags directly; several forums through a proposed bulk action.
    "forums.change_forum_groups",
    "forums.change_forum_tags",
]
_APPROVER = [*_VIEWER, "forums.approve_bulkaction"]
_ADMIN = sorted(
    {
        *_MODERATOR,
        *_APPROVER,
        "forums.add_forumconnection",
        "forums.change_forumconnection",
        "forums.delete_forumconnection",
        "forums.schedule_backups",
        # Admins manage accounts and roles in People & roles (forums.accounts).
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        # A second Admin confirms a recent account change (four eyes on accounts).
        "forums.confirm_accountchange",
        # Sign-in lockouts (django-axes): see them in People & roles, delete one to unlock.
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accessfailurelog",
    }
)

ROLE_PERMISSIONS: dict[str, list[str]] = {
    VIEWER: _VIEWER,
    MODERATOR: _MODERATOR,
    APPROVER: _APPROVER,
    ADMIN: _ADMIN,
}


def sync_roles(apps, schema_editor=None) -> None:
    """Create the role groups and give each exactly its permissions."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # Historical app configs (inside migrations) have no models module, and
        # create_permissions skips those; the real registry's are left as they are.
        historical = getattr(app_config, "models_module", None) is None
        if historical:
            app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        if historical:
            app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    existing = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        # An early migration runs before later models (and their permissions) exist; the
        # migration that adds them calls this again.
        group.permissions.set([existing[p] for p in perms if p in existing])


def sync_roles_after_migrate(sender, **kwargs) -> None:
    """post_migrate (and flush) keep the roles whole, e.g. after a new permission appears."""
    from django.apps import apps as global_apps

    sync_roles(kwargs.get("apps") or global_apps)
