"""The one list of known gaps between Discourse and its official spec (openapi.json, 6737ac2).

Each entry quotes the line of shared/specs/discourse/ENDPOINTS.md (or PRISM.md) that justifies
it. Used by tests/sandbox/discourse/test_openapi.py (routes the sandbox may serve beyond the spec,
response fields the spec's schemas leave out), tests/contract/test_discourse_contract.py
(client calls Prism is expected to refuse, and with which status) and
tests/contract/test_sandbox_responses.py (``RESPONSE_GAPS``: each violation Prism reports when
it validates what the sandbox answers, by route and status). When the spec catches up, the
contract tests fail on the stale entry: delete it then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Gap:
    method: str
    path: str  # a spec-style template: /admin/users/{id}/unsuspend.json
    reason: str
    source: str  # the ENDPOINTS.md / PRISM.md line that says so


def template_key(method: str, path: str) -> tuple[str, str]:
    """Compare spec templates and werkzeug rules: every `{param}` / `<conv:param>` is `{}`."""
    path = re.sub(r"\{[^}]+\}", "{}", path)
    path = re.sub(r"<[^>]+>", "{}", path)
    return method.upper(), path


# --- routes Discourse serves (and the client uses) that openapi.json does not describe -------
ROUTES_NOT_IN_SPEC: list[Gap] = [
    Gap("GET", "/srv/status", "health probe without login",
        "ENDPOINTS.md: | GET | `/srv/status` | (none) | **no** (R) | plain text `ok` ..."),
    Gap("GET", "/about.json", "version and user count",
        "ENDPOINTS.md: | GET | `/about.json` | (none) | **no** (R) | ... It was in the spec "
        "until 2021-02. `version` is the Discourse version string"),
    Gap("GET", "/review/count.json", "review queue count",
        "ENDPOINTS.md: | GET | `/review/count.json` | (none) | **no** (R) | `{count:n}`"),
    Gap("GET", "/review.json", "review queue list",
        "ENDPOINTS.md: | GET | `/review.json` | `status` ... | **no** (R) |"),
    Gap("PUT", "/admin/users/{id}/unsuspend.json", "lift a suspension",
        "ENDPOINTS.md: | PUT | `/admin/users/{id}/unsuspend.json` | (none) | **no** (R) | it was "
        "in the spec until the 2021-02 rewrite"),
    Gap("PUT", "/admin/users/{id}/unsilence.json", "lift a silence",
        "ENDPOINTS.md: | PUT | `/admin/users/{id}/unsilence.json` | (none) | **no** (R) | same "
        "history as unsuspend"),
    Gap("PUT", "/admin/users/{id}/trust_level.json", "set a trust level",
        "ENDPOINTS.md: | PUT | `/admin/users/{id}/trust_level.json` | `level`=0..4 | **no** (R)"),
    Gap("PUT", "/admin/users/{id}/approve.json", "approve a pending user",
        "ENDPOINTS.md: | PUT | `/admin/users/{id}/approve.json` | (none) | **no** (R)"),
    Gap("DELETE", "/admin/users/destroy-bulk.json", "bulk delete, 1-100 ids a call",
        "ENDPOINTS.md: | DELETE | `/admin/users/destroy-bulk.json` | `user_ids[]` (1–100), "
        "`block_ip_and_email` ... | **no** (R) | This is the only bulk delete."),
    Gap("PUT", "/tag/{name}.json", "rename a tag",
        "ENDPOINTS.md: | PUT | `/tag/{name}.json` | `tag[id]=<new name>` | **no** (R) | "
        "**rename** (admin)"),
    Gap("DELETE", "/tag/{name}.json", "delete a tag",
        "ENDPOINTS.md: | DELETE | `/tag/{name}.json` | (none) | **no** (R) | delete (admin)"),
    Gap("DELETE", "/tag_groups/{id}.json", "delete a tag group",
        "ENDPOINTS.md: | DELETE | `/tag_groups/{id}.json` | (none) | **no** (R) | "
        "`resources :tag_groups`"),
    Gap("PUT", "/topics/bulk.json", "retag topics (change_tags / append_tags)",
        "ENDPOINTS.md: | PUT | `/topics/bulk.json` | `topic_ids[]`, `operation[type]`=`change_tags`"
        " ... | **no** (R)"),
    Gap("GET", "/admin/backups/status.json", "backup progress",
        "ENDPOINTS.md: | GET | `/admin/backups/status.json` | (none) | **no** (R) | "
        "`BackupRestore.operations_status`"),
    Gap("POST", "/tags/upload.json", "create tags (CSV upload)",
        "ENDPOINTS.md: | POST | `/tags/upload.json` | multipart `file` ... | **no** (R) | **The "
        "only direct \"create tags\" call.**"),
    Gap("POST", "/tag/{name}/synonyms.json", "merge a tag into another (make it a synonym)",
        "ENDPOINTS.md: | POST | `/tag/{name}/synonyms.json` | `synonyms[]` | **no** (R) |"),
    Gap("DELETE", "/tags/unused.json", "delete every tag no topic carries",
        "ENDPOINTS.md: | GET / DELETE | `/tags/unused.json` | (none) | **no** (R) | lists or "
        "deletes tags with no topics"),
    Gap("DELETE", "/admin/backups/cancel.json", "cancel a running backup",
        "ENDPOINTS.md: | DELETE | `/admin/backups/cancel.json` | (none) | **no** (R) | cancels a "
        "running backup"),
    # pydiscourse's add_user_to_group (the benchmark's baseline runs pydiscourse on the sandbox)
    # posts to the path without ".json": Rails takes the format as optional (ENDPOINTS.md
    # "Response format: append `.json`, or send `Accept: application/json` (S)").
    *(
        Gap(method, path + ext, "one user in or out of one group (pydiscourse)",
            "ENDPOINTS.md: | POST / DELETE | `/admin/users/{id}/groups.json` / "
            "`/admin/users/{id}/groups/{group_id}.json` | `group_id` | **no** (R) | adds or "
            "removes a single user from a group")
        for method, path in (("POST", "/admin/users/{id}/groups"),
                             ("DELETE", "/admin/users/{id}/groups/{group_id}"))
        for ext in ("", ".json")
    ),
]  # fmt: skip

# --- request details the spec leaves out or gets wrong (the route itself is in the spec) -------
FLAG_ENUM_GAP = Gap(
    "GET", "/admin/users/list/{flag}.json",
    "flag values the spec's enum (active,new,staff,suspended,blocked,suspect) lacks: Prism 422",
    "ENDPOINTS.md: The spec's `flag` enum is `active,new,staff,suspended,blocked,suspect`: "
    "`blocked` and `suspect` filter nothing, and `silenced`, `pending` and the others are missing.",
)  # fmt: skip
SPEC_USER_FLAGS = frozenset({"active", "new", "staff", "suspended", "blocked", "suspect"})

FILTER_PARAM_GAP = Gap(
    "GET", "/admin/users/list/{flag}.json",
    "`filter` (username/e-mail substring) is not a spec param; Prism lets extra query through",
    "ENDPOINTS.md: The spec has no `filter` param. / PRISM.md: `GET /admin/users/list/"
    "active.json?filter=bob` | **200** (extra query params are not rejected)",
)  # fmt: skip
MEMBERS_PAGING_GAP = Gap(
    "GET", "/groups/{name}/members.json",
    "`limit` (max 1000) and `offset` are not spec params; Prism lets them through",
    "PRISM.md: The spec leaves out ... the members `limit`/`offset` params.",
)  # fmt: skip
UPDATE_EXISTING_USERS_GAP = Gap(
    "PUT", "/groups/{id}.json",
    "query `update_existing_users` is not in the spec; Prism lets extra query through",
    "ENDPOINTS.md: Query `update_existing_users=true/false` | yes | If the change touches default "
    "notification levels and the group has members, leaving out `update_existing_users` gives "
    "**422** `{user_count, errors}` (C groups_controller). The spec doesn't say this",
)  # fmt: skip
MEMBER_IDS_EMAILS_GAP = Gap(
    "PUT", "/groups/{id}/members.json",
    "`user_ids` / `user_emails` bodies: the spec allows only `usernames` (additionalProperties "
    "false), so Prism answers 422",
    "ENDPOINTS.md: | PUT | `/groups/{id}/members.json` | one of `usernames` / `user_ids` / "
    "`user_emails` (each a **comma-separated string**, not an array) ... | yes (only `usernames`)",
)  # fmt: skip
MEMBER_REMOVE_IDS_EMAILS_GAP = Gap(
    "DELETE", "/groups/{id}/members.json",
    "`user_ids` / `user_emails` bodies: the spec allows only `usernames`",
    "ENDPOINTS.md: | DELETE | `/groups/{id}/members.json` | `usernames` / `user_ids` / "
    "`user_emails` (comma strings; ...) | yes",
)  # fmt: skip
TAG_GROUP_TAG_NAMES_GAP = Gap(
    "POST", "/tag_groups.json",
    "`tags[]` / `parent_tag[]` (2026.01 and later; `tag_names[]` / `parent_tag_name[]` before) "
    "/ `one_per_topic`: the spec's body has only `name` (additionalProperties false), so Prism "
    "answers 422",
    "ENDPOINTS.md: | POST | `/tag_groups.json` | `name`\\*, `tag_names[]`, `parent_tag_name[]`, "
    "`one_per_topic`, `permissions{...}` | yes (only `name`)",
)  # fmt: skip
TAG_GROUP_UPDATE_GAP = Gap(
    "PUT", "/tag_groups/{id}.json",
    "the client always sends the full tag list (`tags[]` on 2026.01 and later, `tag_names[]` "
    "before; a rename-only PUT empties the group); the spec's PUT body does not forbid extra "
    "properties, so Prism accepts it",
    "ENDPOINTS.md: | PUT | `/tag_groups/{id}.json` | same fields as POST | yes (only `name`) | "
    "**Danger**: ... A rename-only PUT therefore **empties the group**. Always send the full "
    "`tag_names[]`",
)  # fmt: skip
WITH_UPLOADS_STRING_GAP = Gap(
    "POST", "/admin/backups.json",
    "`with_uploads` is sent as the string \"true\"/\"false\" (the controller compares with the "
    "string); the spec says boolean, so Prism answers 422",
    "ENDPOINTS.md: | POST | `/admin/backups.json` | ... the check is `params.fetch(:with_uploads) "
    "== \"true\"`, so send the **string** `\"true\"` ... The rswag test for this operation is "
    "skipped",
)  # fmt: skip
FORM_BODY_GAP = Gap(
    "*", "*",
    "form-encoded bodies (which Discourse accepts) get 415 from Prism; the client sends JSON "
    "only, the sandbox accepts both",
    "PRISM.md: 4. **JSON-only bodies.** Form-encoded requests, which Discourse accepts, get a 415.",
)  # fmt: skip

# Client calls Prism must refuse, by the name the contract test gives them, with the status
# Prism answers. A call not listed here must be accepted. A route the spec lacks is a 404 unless
# it collides with a documented template: then Prism answers 405 (same path, other method) or
# 422 (destroy-bulk matches /admin/users/{id}.json with a non-integer id; status.json matches
# GET /admin/backups/{filename}, which requires ?token=).
CALL_EXEMPTIONS: dict[str, tuple[int, Gap]] = {
    # The first page of the index's whole read also asks the account count (/about.json).
    "user_list_page": (404, ROUTES_NOT_IN_SPEC[1]),
    "lift(suspend)": (404, ROUTES_NOT_IN_SPEC[4]),
    "lift(silence)": (404, ROUTES_NOT_IN_SPEC[5]),
    "set_trust_level": (404, ROUTES_NOT_IN_SPEC[6]),
    "approve_user": (404, ROUTES_NOT_IN_SPEC[7]),
    "delete_users": (422, ROUTES_NOT_IN_SPEC[8]),
    "rename_tag": (405, ROUTES_NOT_IN_SPEC[9]),
    "delete_tag": (405, ROUTES_NOT_IN_SPEC[10]),
    "delete_tag_group": (405, ROUTES_NOT_IN_SPEC[11]),
    "retag(replace)": (404, ROUTES_NOT_IN_SPEC[12]),
    "retag(add)": (404, ROUTES_NOT_IN_SPEC[12]),
    "retag(remove)": (404, ROUTES_NOT_IN_SPEC[12]),
    "backup_status": (422, ROUTES_NOT_IN_SPEC[13]),
    "create_tag": (404, ROUTES_NOT_IN_SPEC[14]),
    "merge_tag": (404, ROUTES_NOT_IN_SPEC[15]),
    "delete_unused_tags": (404, ROUTES_NOT_IN_SPEC[16]),
    "cancel_backup": (405, ROUTES_NOT_IN_SPEC[17]),
    "version": (404, ROUTES_NOT_IN_SPEC[1]),
    "user_count": (404, ROUTES_NOT_IN_SPEC[1]),
    "review_count": (404, ROUTES_NOT_IN_SPEC[2]),
    "iter_users(flag=silenced)": (422, FLAG_ENUM_GAP),
    # find_users(status=silenced) lists flag `silenced`, missing from the spec's enum
    # (status=new reads flag `new`, which the enum has).
    "find_users(status=silenced)": (422, FLAG_ENUM_GAP),
    # After trust_level_0's members (accepted, see group_members_slice), the names it lacked
    # are looked for among staged accounts: flag `staged`, missing from the spec's enum.
    "expect_lookups(details=False)": (422, FLAG_ENUM_GAP),
    # Members travel as ids (robust to renames between plan and run); the spec has only
    # `usernames`.
    "add_members": (422, MEMBER_IDS_EMAILS_GAP),
    "remove_members": (422, MEMBER_REMOVE_IDS_EMAILS_GAP),
    "create_tag_group(tag_names)": (422, TAG_GROUP_TAG_NAMES_GAP),
    "create_backup": (422, WITH_UPLOADS_STRING_GAP),
}

# Gaps Prism lets through (documented so nobody "fixes" the client to match the spec).
ACCEPTED_GAPS: list[Gap] = [
    FILTER_PARAM_GAP, MEMBERS_PAGING_GAP, UPDATE_EXISTING_USERS_GAP, TAG_GROUP_UPDATE_GAP,
    FORM_BODY_GAP,
]  # fmt: skip

# --- response schemas: what the sandbox may send beyond, or instead of, the spec ------------
# Discourse adds these only while a penalty is in force; the spec's examples were generated from
# an unpenalised user and its schemas say additionalProperties: false.
PENALTY_FIELDS = Gap(
    "GET", "/admin/users/{id}.json",
    "suspended_at / suspended_till / suspend_reason / silenced_till appear only while a penalty "
    "is in force",
    "ENDPOINTS.md: | GET | `/admin/users/{id}.json` | (none) | yes | the admin view: IPs, penalty "
    "counts, `suspended_till`, `silenced_till` (S)",
)  # fmt: skip
CONDITIONAL_USER_FIELDS = frozenset({"suspended_at", "suspended_till", "suspend_reason",
                                     "silenced_till"})  # fmt: skip
# `approved` appears only with SiteSetting must_approve_users on
# (app/serializers/admin_user_list_serializer.rb `include_approved?`); the spec omits it, and
# the sandbox sends it only when its config says must_approve_users.

BACKUPS_MIN_ITEMS = Gap(
    "GET", "/admin/backups.json",
    "the spec says minItems: 1, but a forum without backups answers []",
    "ENDPOINTS.md: | GET | `/admin/backups.json` | ... The spec says `minItems: 1`, so an empty "
    "list breaks the schema",
)  # fmt: skip
EVENT_DURATION_EXAMPLE = Gap(
    "GET", "/discourse-post-event/events.json",
    "the spec's own example has duration \"string\", which fails its pattern "
    "^\\d{2}:\\d{2}:\\d{2}$; the sandbox sends a real HH:MM:SS, so only Prism's example "
    "is affected",
    "PRISM.md: 1. **Self-inconsistent example.** The generated `events.json` response has "
    "`\"duration\":\"string\"`, which fails the spec's own pattern",
)  # fmt: skip


def not_in_spec_keys() -> set[tuple[str, str]]:
    return {template_key(g.method, g.path) for g in ROUTES_NOT_IN_SPEC}


# --- what the sandbox answers that openapi.json does not describe --------------------------------
@dataclass(frozen=True, slots=True)
class ResponseGap:
    """A Prism violation of a sandbox answer that the real server gives too.

    ``violation`` is a regular expression matched against Prism's report, written
    ``<location>: <message>`` (e.g. ``response.body: Response body must NOT have additional
    properties; found 'suspended_at'``). A status the spec does not list is reported as
    ``response: Unable to match the returned status code ...``.
    """

    method: str
    path: str  # the spec's template
    status: int  # the sandbox's (and the real server's) status
    violation: str
    reason: str
    source: str  # the ENDPOINTS.md / PRISM.md line that says so


# Prism's warning for a status code the spec does not list for the operation.
UNLISTED_STATUS = r"^response: Unable to match the returned status code"

_DELETE_ROW = (
    'ENDPOINTS.md, Rules / delete one user: "refused with **403** for every **admin**, and for '
    "any user with more than 5 posts ... A user with posts deleted without `delete_posts`: 403 "
    '`{deleted:false, message}` (no `errors` key). A **missing** user: 403, not 404"'
)
_PENALTY_ROW = (
    'ENDPOINTS.md, Rules / suspend / silence: "`reason` is **required and at most 300 '
    'characters**, else 400 `{failed:"FAILED", errors:[…]}`. Already suspended: 409 `{failed, '
    'message}`. Staff: 403"'
)
_NOT_FOUND_ROW = (
    'ENDPOINTS.md, Rules / error shapes: "not found: 404 `{errors, error_type:"not_found"}`"'
)
_GUARDIAN_ROW = (
    'ENDPOINTS.md, Rules / approve / activate / deactivate: "403 `invalid_access` unless: ... '
    'activate needs an inactive user; deactivate needs a non-staff user"'
)
_ADD_MEMBERS_ROW = (
    'ENDPOINTS.md, Rules / add group members: "Over 1,000: 422 `adding_too_many_users`; all '
    'already members: 422; a batch where **none** of the users exists: 400 "You supplied '
    'invalid parameters to the request: usernames" ... Automatic groups: 403"'
)
_PENALTY_FIELDS_SOURCE = (
    "ENDPOINTS.md: | GET | `/admin/users/{id}.json` | (none) | yes | the admin view: IPs, penalty "
    "counts, `suspended_till`, `silenced_till` (S). The spec's example user had no penalty, so "
    "its closed schema lacks them and types suspended_by/silenced_by (a BasicUser) from null."
)

RESPONSE_GAPS: list[ResponseGap] = [
    # --- answers with a status the spec does not list ----------------------------------------
    ResponseGap("DELETE", "/admin/users/{id}.json", 403, UNLISTED_STATUS,
                "admins, long-time posters, missing users and posters without delete_posts",
                _DELETE_ROW),
    ResponseGap("PUT", "/admin/users/{id}/suspend.json", 400, UNLISTED_STATUS,
                "the User::Suspend contract (reason missing or over 300 characters)", _PENALTY_ROW),
    ResponseGap("PUT", "/admin/users/{id}/suspend.json", 403, UNLISTED_STATUS,
                "staff cannot be suspended", _PENALTY_ROW),
    ResponseGap("PUT", "/admin/users/{id}/suspend.json", 409, UNLISTED_STATUS,
                "already suspended", _PENALTY_ROW),
    ResponseGap("PUT", "/admin/users/{id}/suspend.json", 404, UNLISTED_STATUS,
                "no such user (model :user)", _NOT_FOUND_ROW),
    ResponseGap("PUT", "/admin/users/{id}/silence.json", 400, UNLISTED_STATUS,
                "the User::Silence contract (reason missing or over 300 characters)",
                _PENALTY_ROW),
    ResponseGap("PUT", "/admin/users/{id}/silence.json", 403, UNLISTED_STATUS,
                "staff cannot be silenced", _PENALTY_ROW),
    ResponseGap("PUT", "/admin/users/{id}/silence.json", 409, UNLISTED_STATUS,
                "already silenced", _PENALTY_ROW),
    ResponseGap("PUT", "/admin/users/{id}/activate.json", 403, UNLISTED_STATUS,
                "activating an active user", _GUARDIAN_ROW),
    ResponseGap("PUT", "/admin/users/{id}/deactivate.json", 403, UNLISTED_STATUS,
                "deactivating staff", _GUARDIAN_ROW),
    ResponseGap("GET", "/admin/users/{id}.json", 404, UNLISTED_STATUS,
                "a missing user, or a bad key on an /admin route",
                _NOT_FOUND_ROW + "; Rules / bad key: \"403 on ordinary routes, 404 on "
                "`/admin/*`\""),
    ResponseGap("GET", "/u/{username}.json", 403, UNLISTED_STATUS, "a bad key",
                "ENDPOINTS.md, Rules / bad key: \"403 on ordinary routes, 404 on `/admin/*`\""),
    ResponseGap("GET", "/u/{username}.json", 429, UNLISTED_STATUS,
                "the admin_api_min bucket (JSON) or the per-IP limiter (text/plain)",
                "ENDPOINTS.md, Rules / admin rate limit: \"the `admin_api_min` bucket (60/min) "
                "counts **every request made with an API key** ... Requests with a bad or "
                "missing key count against the per-IP limiter, which answers a `text/plain` "
                "429\""),
    ResponseGap("GET", "/t/{id}.json", 404, UNLISTED_STATUS,
                "a topic that is gone (a retag reads each pasted topic first)", _NOT_FOUND_ROW),
    ResponseGap("GET", "/admin/users/list/{flag}.json", 400, UNLISTED_STATUS,
                "more than 100 filter terms",
                "ENDPOINTS.md, Rules / user list `filter`: \"a multi-term `filter` (up to 100 "
                "terms) ... more than 100 terms: 400\""),
    ResponseGap("PUT", "/groups/{id}.json", 422, UNLISTED_STATUS,
                "the change reaches members' notification settings: choose update_existing_users",
                "ENDPOINTS.md, Rules / update a group: \"a plain rename can get the 422 "
                "\"choose whether existing members follow\" question\" / | PUT | "
                "`/groups/{id}.json` | ... gives **422** `{user_count, errors}` ... The spec "
                "doesn't say this"),
    ResponseGap("PUT", "/groups/{id}/members.json", 400, UNLISTED_STATUS,
                "none of the users exists", _ADD_MEMBERS_ROW),
    ResponseGap("PUT", "/groups/{id}/members.json", 403, UNLISTED_STATUS,
                "an automatic group", _ADD_MEMBERS_ROW),
    ResponseGap("PUT", "/groups/{id}/members.json", 422, UNLISTED_STATUS,
                "all of them are members already", _ADD_MEMBERS_ROW),
    ResponseGap("DELETE", "/groups/{id}/members.json", 400, UNLISTED_STATUS,
                "none of the users exists (the same users_from_params as adding)",
                _ADD_MEMBERS_ROW + " / Rules / remove group members: \"unknown names are "
                "dropped\""),
    ResponseGap("GET", "/admin/backups.json", 403, UNLISTED_STATUS, "enable_backups is off",
                "ENDPOINTS.md, Rules / backups: \"`enable_backups` off: 403\""),
    ResponseGap("GET", "/admin/backups.json", 404, UNLISTED_STATUS, "a moderator's key",
                "ENDPOINTS.md, Rules / admin-only routes: \"`log_out`, backups, group delete "
                "and the other `AdminConstraint` routes answer **404** to a moderator's key\""),
    ResponseGap("PUT", "/admin/backups/{filename}", 404, UNLISTED_STATUS, "no such backup file",
                "ENDPOINTS.md, Rules / backups: \"`PUT /admin/backups/{filename}` answers 200 or "
                "404 with an empty body\""),
    # --- bodies the spec's schemas do not allow -----------------------------------------------
    ResponseGap("GET", "/admin/users/{id}.json", 200,
                r"found '(suspended_at|suspended_till|suspend_reason|silenced_till)'"
                r"|property (suspended_by|silenced_by) must be",
                "penalty fields present only while a penalty is in force",
                _PENALTY_FIELDS_SOURCE),
    ResponseGap("GET", "/u/{username}.json", 200,
                r"^response\.body\.user: .*found '(suspended_at|suspended_till|suspend_reason"
                r"|silenced_till)'",
                "the same penalty fields on the public profile", _PENALTY_FIELDS_SOURCE),
    ResponseGap("DELETE", "/admin/users/{id}.json", 200, r"found 'user'",
                "a destroy that failed answers {deleted:false, user}",
                "ENDPOINTS.md, Rules / delete one user: \"A 200 `{deleted:false, user:{…}}` is "
                "possible: it is a failure\""),
    ResponseGap("GET", "/admin/backups.json", 200, r"must NOT have fewer than 1 items",
                BACKUPS_MIN_ITEMS.reason, BACKUPS_MIN_ITEMS.source),
    ResponseGap("POST", "/admin/backups.json", 200,
                r"required property 'success'|found '(failed|message)'",
                "a backup already running is refused with HTTP 200 {failed, message}",
                "ENDPOINTS.md, Rules / backups: \"Already running: 200 `{failed, message}`\" / "
                "| POST | `/admin/backups.json` | ... Both outcomes are HTTP 200"),
    ResponseGap("GET", "/discourse-post-event/events.json", 200,
                r"^response\.body: Response body must be object",
                "an older discourse-calendar answers a bare array",
                "ENDPOINTS.md, Rules / events: \"older plugin versions answer a bare array and "
                "have no `after`/`order`\""),
    ResponseGap("GET", "/discourse-post-event/events.json", 200,
                r"(starts_at|ends_at): Response body property [^ ]+ must match format "
                r"\"date-time\"",
                "an all-day event's times are dates alone (\"2026-03-10\") and a show_local_time "
                "event's have no offset (\"2026-03-10T18:00:00\"): not RFC 3339 date-times",
                "ENDPOINTS.md, Rules / event times: \"for an all-day event as a date only ... "
                "for a show_local_time event ... with no offset\" (events_controller.rb "
                "#format_time)"),
]  # fmt: skip
