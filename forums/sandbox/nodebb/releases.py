"""The NodeBB releases the sandbox plays: where the routes and answers Forumdeck uses differ
between NodeBB 3.x and 4.x. Each switch names the change in NodeBB's repository (file, function
and the commit that made it, with the first release holding it), read from NodeBB's history
between tag v3.12.9 and v4.15.1 (commit ab329b3b4c).

    NodeBBSandboxConfig(release="3.12")   # or "4.15", the default
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Release:
    name: str  # "4.15": the profile's name, as `manage.py sandbox nodebb --release` takes it
    version: str  # what /api/admin/dashboard answers as `version`
    # src/routes/write/groups.js + src/middleware/index.js requireAPIReAuth (69e749a143,
    # v4.14.7): membership of `administrators` and every ownership change need a fresh
    # password session, so a Bearer token gets 401. Before: an admin's token may.
    reauth_routes: bool
    # src/controllers/write/users.js Users.unban / Users.unmute: since e395fb0919 (v4.11.0)
    # `req.query.reason || req.body.reason`, which fails on a request without a body (body-
    # parser 2 leaves req.body undefined: 400). Before: `{...req.body, uid}`, so a reason is
    # read only from the body (a ?reason= is ignored) and a request without a body works.
    lift_reason_from_query: bool
    # src/controllers/admin/users.js getUsers: the `muted` filter and the `mutedUntil` field
    # of the ACP user list came with 85b980b591 (v4.12.0). Before: `filters=muted` is not a
    # filter at all (the whole list, by last online) and rows carry no mute state.
    acp_muted_filter: bool
    # src/topics/tags.js getTopicTagsObjects: tag objects carried `valueEscaped` until the
    # Benchpress escape change 42a9f5f0cc (v4.14.0); now {value, valueEncoded, class}.
    tag_value_escaped: bool


RELEASES: dict[str, Release] = {
    "3.12": Release(
        name="3.12",
        version="3.12.7",
        reauth_routes=False,
        lift_reason_from_query=False,
        acp_muted_filter=False,
        tag_value_escaped=True,
    ),
    "4.15": Release(
        name="4.15",
        version="4.15.1",
        reauth_routes=True,
        lift_reason_from_query=True,
        acp_muted_filter=True,
        tag_value_escaped=False,
    ),
}
DEFAULT_RELEASE = "4.15"


def release_named(name: str) -> Release:
    """The profile ``name`` ("3.12", "4.15"; a full version such as "3.12.7" picks its
    minor release); ``ValueError`` naming the profiles for any other."""
    key = ".".join(str(name).strip().split(".")[:2])
    if key not in RELEASES:
        raise ValueError(f"The NodeBB sandbox plays releases {', '.join(RELEASES)}; not “{name}”.")
    return RELEASES[key]
