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
]
_MODERATOR = [
    *_VIEWER,
    "forums.test_forumconnection",
    "forums.moderate_forum_users",
]
_APPROVER = [*_VIEWER]
_ADMIN = sorted(
    {
        *_MODERATOR,
        *_APPROVER,
        "forums.add_forumconnection",
        "forums.change_forumconnection",
        "forums.delete_forumconnection",
        # Admins assign roles to people in the Django admin site.
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
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
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".", 1)
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
