"""What docs/capabilities.md says in this platform's column, row by row (keys: the rows of
``tools/capabilities.py``): the endpoints each capability uses, and why one is not offered.
A note starting "not offered" for a capability the client declares (or the reverse) is refused
by the generator."""

CAPABILITY_NOTES = {
    "find_users": (
        "`GET /admin/users/list/{flag}.json` (`filter`: up to 100 terms, each a substring match; "
        "Forumdeck reads a few pages and matches exactly)"
    ),
    "suspend": "`PUT /admin/users/{id}/suspend.json` / `unsuspend.json`",
    "silence": "`PUT /admin/users/{id}/silence.json` / `unsilence.json`",
    "log_out": "`POST /admin/users/{id}/log_out.json`",
    "trust_level": "`PUT /admin/users/{id}/trust_level.json`",
    "anonymize": "`PUT /admin/users/{id}/anonymize.json`",
    "delete_user": "`DELETE /admin/users/{id}.json` (delete posts, block e-mail/IP)",
    "bulk_delete": (
        "`DELETE /admin/users/destroy-bulk.json`, ≤ 100 per call, always deletes posts; all or "
        "nothing, so a refused batch is split and each user Discourse keeps (admins, long-time "
        "posters) is reported with its reason"
    ),
    "approve": "`PUT /admin/users/{id}/approve.json`, `activate.json`, `deactivate.json`",
    "groups": "list, get, create, update, delete; members paged ≤ 1,000",
    "batch_members": "`PUT` / `DELETE /groups/{id}/members.json`, ≤ 1,000 per call",
    "membership": "not offered (members change through the group's own calls, above)",
    "tags": "`GET /tags.json` with topic counts",
    "tag_groups": (
        "`/tag_groups.json` (an update always sends every tag, so a rename never empties the group)"
    ),
    "rename_tag": "`PUT` / `DELETE /tag/{name}.json`",
    "create_tag": "`POST /tags/upload.json` (a one-line CSV)",
    "merge_tag": "`POST /tag/{into}/synonyms.json` (the tag becomes a synonym)",
    "unused_tags": "`DELETE /tags/unused.json`",
    "retag": "`PUT /topics/bulk.json` (`change_tags` / `append_tags`)",
    "topic": "`GET /t/{id}.json`",
    "member_page": (
        "`GET /groups/{name}/members.json` with `filter`, `limit`, `offset`: one call a page"
    ),
    "plan_people": (
        "the automatic group `trust_level_0`'s members, 1,000 a page (every account but staged "
        "ones), then the staged list for the names it lacked; the admin list's filter otherwise"
    ),
    "member_emails": (
        "the admin user list with `show_emails` (written to the staff log), 100 usernames a call"
    ),
    "group_names": "3–20 letters, digits, `_ - .`, no spaces (the username rule)",
    "tag_names": (
        "over 20 characters (`max_tag_length`), or punctuation Discourse would strip; "
        "lower-cased, spaces become dashes"
    ),
    "backups": "list, create (with or without uploads), status, cancel, e-mail a download link",
    "calendar": "`GET /discourse-post-event/events.json` and `.ics`",
    "review_queue": "`GET /review/count.json`",
    "review_items": (
        "`GET /review.json` (pending, 10 a page, by type and author), `GET /review/{id}.json`, "
        "`PUT /review/{id}/perform/{action}.json?version=N` (409 or, once decided, 403: "
        "someone decided it first); flagged posts, queued posts, accounts waiting"
    ),
    "rate_limit": (
        "60 admin requests per minute per site, shared by every key; 429 with `Retry-After`"
    ),
    "categories": "not offered (Forumdeck's Discourse client has no category verbs)",
    "delete_topic": "not offered (not in the client)",
}
