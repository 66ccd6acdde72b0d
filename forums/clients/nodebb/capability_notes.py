"""What docs/capabilities.md says in this platform's column, row by row (keys: the rows of
``tools/capabilities.py``): the endpoints each capability uses, and why one is not offered.
A note starting "not offered" for a capability the client declares (or the reverse) is refused
by the generator."""

CAPABILITY_NOTES = {
    "find_users": (
        "`GET /api/admin/manage/users` (query, searchBy, filters); `/api/user/username/…`, "
        "`/api/user/email/…` (confirmed e-mails only)"
    ),
    "suspend": "as a ban: `PUT` / `DELETE /api/v3/users/{uid}/ban`",
    "silence": "as a mute: `PUT` / `DELETE /api/v3/users/{uid}/mute`",
    "log_out": "not offered",
    "trust_level": "not offered (NodeBB has reputation, not trust levels)",
    "anonymize": "not offered",
    "delete_user": "`DELETE /api/v3/users/{uid}` (account and content), `/account`, `/content`",
    "bulk_delete": (
        "`DELETE /api/v3/users/` with `uids`; one admin in the list fails the whole call, so the "
        "batch is split the same way"
    ),
    "approve": "not offered",
    "groups": "list, get, create, update, delete; members paged",
    "batch_members": (
        "not offered: one uid per call; `administrators` not possible with an API token (needs "
        "a fresh password login)"
    ),
    "membership": "not offered (members change through the group's own calls, above)",
    "tags": "`GET /api/admin/manage/tags`",
    "tag_groups": "not offered (NodeBB has none)",
    "rename_tag": (
        "not offered site-wide (socket.io only, needs a browser session); done by retagging every"
        " topic"
    ),
    "create_tag": "not offered (a tag appears when a topic carries it)",
    "merge_tag": "not offered site-wide; done by retagging the tag's topics",
    "unused_tags": "not offered",
    "retag": "`PUT` / `PATCH` / `DELETE /api/v3/topics/{tid}/tags`",
    "topic": "`GET /api/v3/topics/{tid}`",
    "member_page": "every member read (20 a call), then paged and searched by Forumdeck",
    "plan_people": (
        "the ACP user list, 500 a page, or a search per name, whichever costs fewer calls"
    ),
    "member_emails": "the ACP user search, one call per member",
    "group_names": "a `/`, or a privilege group's `cid:` prefix",
    "tag_names": "under 3 or over 15 characters, or punctuation `cleanUpTag` strips; lower-cased",
    "backups": "not offered (no backup API in core)",
    "calendar": "not offered (the calendar plugin lists events over socket.io only)",
    "review_queue": "open flags (`/api/flags`) plus the post queue (`/api/post-queue`)",
    "review_items": (
        "open and in-progress flags (`/api/flags`, each read whole with `GET /api/v3/flags/{id}`)"
        " and the post queue; resolve / reject a flag (`PUT /api/v3/flags/{id}`, read first: "
        "NodeBB overwrites a closed flag), delete the flagged post (`DELETE /api/v3/posts/{pid}`"
        "), accept / reject a queued post (`/api/v3/posts/queue/{id}`, NodeBB 4.4.3+; older "
        "forums decide it on their own page); administrators, global and category moderators"
    ),
    "rate_limit": "none in core; Forumdeck still paces every forum to its connection's rate",
    "categories": "not offered (none in the client)",
    "delete_topic": "not offered (not in the client)",
}
