"""What docs/capabilities.md says in this platform's column, row by row (keys: the rows of
``tools/capabilities.py``): the endpoints each capability uses, and why one is not offered.
A note starting "not offered" for a capability the client declares (or the reverse) is refused
by the generator."""

CAPABILITY_NOTES = {
    "find_users": (
        "`GET users` with `filter__email__icontains` / `filter__name__icontains` / "
        "`filter__slug__icontains`, checked again by Forumdeck (filters may be unreliable); `GET "
        "users/{id}` confirmed to be that user (an unknown id answers with the token's own user);"
        " never `get_or_create` or `sso_token`, which create users"
    ),
    "suspend": "not offered (no ban, block or suspension)",
    "silence": "not offered (no mute or silence)",
    "log_out": (
        "`GET users/{id}/logout` (a GET that clears sessions: only for a confirmed user, never "
        "from a read path)"
    ),
    "trust_level": "not offered (UserEcho has a rating, shown as standing)",
    "anonymize": "not offered",
    "delete_user": (
        "`DELETE users/{id}`, only where the project has UserEcho's later API routes (the health "
        "check looks, a first call confirms); UserEcho decides what becomes of the posts"
    ),
    "bulk_delete": "not offered",
    "approve": "not offered",
    "groups": (
        "list, create, rename, delete on `users/groups` (id in the body); no description, "
        "visibility or member list"
    ),
    "batch_members": ("not offered; one user at a time instead (next row)"),
    "membership": (
        "`POST` / `DELETE users/{id}/group`, one user at a time, only where the project has "
        "UserEcho's later API routes"
    ),
    "tags": (
        "per UserEcho forum: `GET forums/{id}/tags`, counts from `tags/{id}/topics`; a tag is "
        "keyed by (forum, id)"
    ),
    "tag_groups": "not offered",
    "rename_tag": (
        "`PUT` / `DELETE forums/{id}/tags` (id in the body), on one forum or every forum that has"
        " the tag"
    ),
    "create_tag": "`POST forums/{id}/tags`, on one forum or every forum lacking it",
    "merge_tag": "not offered site-wide; done by retagging the tag's topics",
    "unused_tags": "not offered",
    "retag": (
        "read the topic, then `PUT forums/{id}/topics` with the whole list of the forum's tag ids"
        " (tags missing in that forum are created)"
    ),
    "topic": "`GET topics/{id}`",
    "member_page": "not offered (no member list)",
    "plan_people": "not offered (no member list)",
    "member_emails": "not offered (no member list, so no sync into or out of a UserEcho group)",
    "group_names": "an empty name (UserEcho checks the rest)",
    "tag_names": "an empty name (UserEcho checks the rest)",
    "backups": "not offered (the export is taken in UserEcho's settings)",
    "calendar": "not offered",
    "review_queue": "topics waiting for review in every forum (`filter__needs_review=1`)",
    "review_items": (
        "topics waiting for review in every forum, and deleting one (`DELETE topics/{id}`); "
        "approving is not in UserEcho's API (done on its own moderation page)"
    ),
    "rate_limit": (
        "none documented; Forumdeck paces every forum to its connection's rate and honours 429"
    ),
    "categories": "per UserEcho forum: list, create, rename, delete on `forums/{id}/categories`",
    "delete_topic": "`DELETE topics/{id}` (its own path, not under the forum)",
}
