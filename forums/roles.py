"""The four roles, as Django groups. Each role holds the permissions of the ones it builds on.

The permissions come from the areas (``forums/<area>/area.py``, see ``forums.core.areas``).
Migrations call ``sync_roles(apps)`` with their historical app registry, so a later migration
that adds a permission to a role only has to declare it in its area and call it again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

VIEWER = "Viewer"
MODERATOR = "Moderator"
APPROVER = "Approver"
ADMIN = "Admin"

ROLES = (VIEWER, MODERATOR, APPROVER, ADMIN)
# Each role holds its own permissions and those of the roles it builds on.
BUILDS_ON: dict[str, tuple[str, ...]] = {
    VIEWER: (),
    MODERATOR: (VIEWER,),
    APPROVER: (VIEWER,),
    ADMIN: (MODERATOR, APPROVER),
}


def role_permissions() -> dict[str, list[str]]:
    """Role -> every permission it holds, from the areas' own declarations (each area's
    ``area.py`` names its permissions and the least role that holds each one)."""
    from forums.core.areas import areas

    own: dict[str, set[str]] = {role: set() for role in ROLES}
    for area in areas():
        for permission, role in area.permissions.items():
            own[role].add(permission)

    def held(role: str) -> set[str]:
        return own[role].union(*(held(lower) for lower in BUILDS_ON[role]))

    return {role: sorted(held(role)) for role in ROLES}


class _RolePermissions(Mapping[str, list[str]]):
    """``ROLE_PERMISSIONS[role]``: read from the areas when asked, never at import."""

    def __getitem__(self, role: str) -> list[str]:
        return role_permissions()[role]

    def __iter__(self) -> Iterator[str]:
        return iter(ROLES)

    def __len__(self) -> int:
        return len(ROLES)


ROLE_PERMISSIONS: Mapping[str, list[str]] = _RolePermissions()


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
    for role, perms in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=role)
        # An early migration runs before later models (and their permissions) exist; the
        # migration that adds them calls this again.
        group.permissions.set([existing[p] for p in perms if p in existing])


def sync_roles_after_migrate(sender, **kwargs) -> None:
    """post_migrate (and flush) keep the roles whole, e.g. after a new permission appears."""
    from django.apps import apps as global_apps

    sync_roles(kwargs.get("apps") or global_apps)
