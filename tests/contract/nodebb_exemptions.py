"""The one list of known gaps between NodeBB's official specs and what NodeBB really does.

Each entry names the request (or sandbox route) it excuses and quotes the line of
shared/specs/nodebb/ENDPOINTS.md or PRISM.md that justifies it. The contract tests
(tests/contract/test_nodebb_contract.py for the client's requests,
tests/contract/test_sandbox_responses.py for the sandbox's answers: ``RESPONSE_EXEMPTIONS``) and
the sandbox spec test (tests/sandbox/nodebb/test_openapi.py) accept exactly these departures and
nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exemption:
    key: str
    what: str
    justification: str  # the ENDPOINTS.md / PRISM.md line


EXEMPTIONS: tuple[Exemption, ...] = (
    Exemption(
        key="query:_uid",
        what="`_uid` query parameter on every call made with a master token (undeclared in "
        "both specs; Prism ignores unknown query parameters, so it never fails a call).",
        justification='ENDPOINTS.md, Authentication, Master token: "**Every** call must carry '
        '`_uid` in the JSON body or the query string"; PRISM.md: "The spec declares no `_uid` '
        'parameter ... Send it as a query parameter so the body still validates".',
    ),
    Exemption(
        key="query:reason@DELETE /api/v3/users/{uid}/ban",
        what="`reason` sent with an unban, in the query string: the spec declares no body and "
        "no parameter (Prism answers 415 to any body there).",
        justification='ENDPOINTS.md, Users: "unban ✅ | DELETE `/api/v3/users/{uid}/ban` | '
        '`reason` (body or query; code accepts it, spec omits it)"; SOURCE.md Notes: '
        '"`DELETE /users/{uid}/ban` also accepts `reason`".',
    ),
    Exemption(
        key="slash:/api/v3/users/",
        what="The bulk delete is `DELETE /api/v3/users/` in the spec (trailing slash); the "
        "client sends that path, the sandbox also answers `/api/v3/users`.",
        justification='PRISM.md: "Some paths end in a slash in the spec (`/users/`, `/groups/`, '
        "`/categories/`): the bulk delete is `DELETE /users/` in the mock, while the real server "
        'answers both `/users` and `/users/`".',
    ),
    Exemption(
        key="slash:/api/v3/groups/",
        what="Group create/list are `/api/v3/groups/` in the spec (trailing slash); the real "
        "server and the sandbox answer both.",
        justification='PRISM.md: "Some paths end in a slash in the spec (`/users/`, `/groups/`, '
        '`/categories/`)".',
    ),
    Exemption(
        key="query:after@GET /api/v3/groups/",
        what="The sandbox's `GET /api/v3/groups/` pages by `after`/`nextStart` (as NodeBB's "
        "groupsAPI.list does) as well as the spec's `page`. The client does not use this route.",
        justification='ENDPOINTS.md, Groups: "list ✅ | GET `/api/v3/groups` (`page`, '
        "`sort`=`date`/`count`); admin list GET `/api/v3/admin/groups`; read `GET /api/groups`, "
        '`GET /api/admin/manage/groups`" (the client lists through the ACP read route).',
    ),
    Exemption(
        key="query:filters@GET /api/admin/manage/users",
        what="`query`, `searchBy`, `sortBy`, `sortDirection`, `filters` (repeatable), `page`, "
        "`resultsPerPage` on the ACP user list: read.yaml declares no parameters for it (Prism "
        "ignores unknown query parameters).",
        justification='ENDPOINTS.md, Users: "list/search users (ACP) ✅ | GET '
        "`/api/admin/manage/users` | `query`, `searchBy`, ..., `filters` (`banned`,`muted`,"
        '`verified`,`unverified`, repeatable), `page`, `resultsPerPage` (50/100/250/500)".',
    ),
    Exemption(
        key="section:muted@GET /api/users",
        what="`section=muted` on `/api/users`: read.yaml's enum lacks `muted` (Prism answers "
        "422). The client never sends it (it filters on the ACP list); the sandbox accepts it.",
        justification='ENDPOINTS.md, Users: "list/search users (public) ✅ | GET `/api/users` | '
        "without `query`: `section` = `joindate`/`online`/`sort-posts`/`sort-reputation`/"
        '`banned`/`muted`/`flagged`".',
    ),
    Exemption(
        key="status:401@PUT|DELETE /api/v3/groups/administrators/membership/{uid}",
        what="Membership changes of `administrators` answer 401 `not-authorised` to every "
        "Bearer token (re-auth rule); the spec only says 401 without the reason.",
        justification='ENDPOINTS.md, Authentication, Re-auth: "Bearer-token requests (user or '
        'master) never meet this requirement: they always get 401 `not-authorised`." ... '
        '"membership changes **of the `administrators` group**".',
    ),
    Exemption(
        key="route:/socket.io/",
        what="The socket.io endpoint (the only way to create, rename or delete a tag site-wide) "
        "is in neither spec; the sandbox models only its refusal of a Bearer token.",
        justification='ENDPOINTS.md, "What a real NodeBB 4.15.1 answers": "site-wide tag rename '
        "/ delete / create | no REST route ...; socket.io `admin.tags.*` takes the user **only** "
        'from the session cookie ...: a Bearer token alone is refused (403 on connect)".',
    ),
    Exemption(
        key="body:{}@DELETE /api/v3/users/{uid}/ban",
        what="An unban without a reason sends the JSON body `{}`: the spec declares no body for "
        "this operation, so Prism refuses any body (415/422), but NodeBB fails without one.",
        justification='ENDPOINTS.md, "What a real NodeBB 4.15.1 answers": "`DELETE '
        "/api/v3/users/{uid}/ban` or `/mute` **with no body** and no `?reason=` | **400** "
        "`...Cannot read properties of undefined (reading 'reason')` ... A JSON body `{}` or a "
        'non-empty `?reason=` gives 200".',
    ),
    Exemption(
        key="response:params@400",
        what="A missing required parameter answers 400 with `response.params`, which the "
        "spec's error responses do not describe.",
        justification='ENDPOINTS.md, Response / error shape: "A missing required parameter '
        'gives 400 with `response.params: [..]`."',
    ),
)

BY_KEY = {e.key: e for e in EXEMPTIONS}

# Sandbox routes (werkzeug rules) that are not a path of write.yaml (under /api/v3) or read.yaml,
# each with the exemption that explains it. Empty: every route the sandbox serves is documented.
UNDOCUMENTED_SANDBOX_ROUTES: dict[str, str] = {
    "GET /socket.io/": "route:/socket.io/",
    "POST /socket.io/": "route:/socket.io/",
}

# Requests the contract test may see refused by Prism, by (method, spec path) -> exemption key.
# A spec path may hold `{param}` templates (each matches one path segment).
PRISM_REFUSALS: dict[tuple[str, str], str] = {
    ("DELETE", "/api/v3/users/{uid}/ban"): "body:{}@DELETE /api/v3/users/{uid}/ban",
}


def exemption(key: str) -> Exemption:
    """The exemption with that key (KeyError if a test refers to an unlisted gap)."""
    return BY_KEY[key]


# --- what the sandbox answers that the specs do not describe ------------------------------------
@dataclass(frozen=True)
class ResponseExemption:
    """A Prism violation of a sandbox answer that a real NodeBB 4.15.1 gives too.

    ``violation`` is a regular expression matched against Prism's report, written
    ``<location>: <message>``; a status the spec does not list reads ``response: Unable to
    match the returned status code ...``.
    """

    method: str
    path: str  # the merged spec's template (write API paths carry /api/v3)
    status: int
    violation: str
    what: str
    justification: str  # the ENDPOINTS.md line


# Prism's warning for a status code the spec does not list for the operation.
UNLISTED_STATUS = r"^response: Unable to match the returned status code"
_CALL_BY_CALL = 'ENDPOINTS.md, "What a real NodeBB 4.15.1 answers": '

RESPONSE_EXEMPTIONS: tuple[ResponseExemption, ...] = (
    ResponseExemption(
        "DELETE", "/api/v3/users/{uid}/ban", 400, UNLISTED_STATUS,
        "an unban without a body (and without a non-empty ?reason=)",
        _CALL_BY_CALL + '"`DELETE /api/v3/users/{uid}/ban` or `/mute` **with no body** and no '
        "`?reason=` | **400** ... Cannot read properties of undefined (reading 'reason')\"",
    ),
    ResponseExemption(
        "DELETE", "/api/v3/users/{uid}/mute", 400, UNLISTED_STATUS,
        "an unmute without a body",
        _CALL_BY_CALL + '"`DELETE /api/v3/users/{uid}/ban` or `/mute` **with no body** ... '
        '**400**"',
    ),
    ResponseExemption(
        "PUT", "/api/v3/users/{uid}/ban", 400, UNLISTED_STATUS, "banning an administrator",
        _CALL_BY_CALL + '"ban or mute an admin | 400 \"You can\'t ban other admins!\""',
    ),
    ResponseExemption(
        "PUT", "/api/v3/users/{uid}/mute", 400, UNLISTED_STATUS, "muting an administrator",
        _CALL_BY_CALL + '"ban or mute an admin | ... \"You can\'t mute other admins!\""',
    ),
    ResponseExemption(
        "DELETE", "/api/v3/users/", 400, UNLISTED_STATUS, "an administrator among the uids",
        _CALL_BY_CALL + '"bulk `DELETE /api/v3/users` with an admin uid in `uids` | 400 '
        '`[[error:cant-delete-other-admins]]` (untranslated) for the whole call"',
    ),
    ResponseExemption(
        "GET", "/api/self", 401, UNLISTED_STATUS, "a bad token: the bare string",
        _CALL_BY_CALL + '"`GET /api/self` with a bad token | 401 with the bare JSON string '
        '\"not-authorized\" (no envelope)"',
    ),
    ResponseExemption(
        "GET", "/api/self", 500, UNLISTED_STATUS,
        "a master token without `_uid`, or with an empty one",
        _CALL_BY_CALL + '"read API (`/api/self`, `/api/admin/...`) with a master token and '
        '**no** `_uid` | **500** page JSON" / "any call with `_uid=` (empty) | 500 \"Failed to '
        'serialize user into session\""',
    ),
    ResponseExemption(
        "GET", "/api/v3/users/{uid}", 400, UNLISTED_STATUS, "a master token without `_uid`",
        'ENDPOINTS.md, Authentication: "Master token | ... **Every** call must carry `_uid` ... '
        'else 400 `A master token was received without a corresponding _uid`"',
    ),
    ResponseExemption(
        "GET", "/api/v3/users/{uid}", 401, UNLISTED_STATUS, "no Authorization header",
        _CALL_BY_CALL + '"no `Authorization` header | public read pages answer 200 as a guest '
        '... the write API answers 401"',
    ),
    ResponseExemption(
        "GET", "/api/v3/users/{uid}", 403, UNLISTED_STATUS,
        "python-requests without a valid token (a spider)",
        _CALL_BY_CALL + '"`User-Agent: python-requests/*` with a bad or missing token | **403** '
        '\"You are not authorised to make this call\" instead of 401"',
    ),
    ResponseExemption(
        "GET", "/api/v3/users/{uid}", 404, UNLISTED_STATUS, "no such user",
        'ENDPOINTS.md, Users: "get by uid ✅ | GET `/api/v3/users/{uid}` (HEAD = exists; 404 if '
        'not)"',
    ),
    ResponseExemption(
        "GET", "/api/v3/topics/{tid}", 404, UNLISTED_STATUS, "no such topic",
        'ENDPOINTS.md, Response / error shape: "`[[error:no-privileges]]` gives 403, '
        '`[[error:invalid-uid]]` 401, `[[error:no-topic]]` 404"',
    ),
    ResponseExemption(
        "POST", "/api/v3/groups/", 400, UNLISTED_STATUS, "a group of that name exists",
        _CALL_BY_CALL + '"unknown group | ... a duplicate name on create: 400 \"Group already '
        'exists\""',
    ),
    ResponseExemption(
        "PUT", "/api/v3/groups/{slug}/membership/{uid}", 404, UNLISTED_STATUS, "no such group",
        _CALL_BY_CALL + '"unknown group | 404 \"Group does not exist\""',
    ),
    ResponseExemption(
        "GET", "/api/user/{userslug}/info", 200,
        r"history\.(bans|mutes)\.\d+\.(timestamp|expire|until|untilISO) must be",
        "moderation history: string timestamp/expire; unban/unmute entries with null "
        "expire/until",
        _CALL_BY_CALL + '"`/api/user/{slug}/info` moderation history | entries carry `type` '
        "(`ban`, `unban`, `mute`, `unmute`); `expire` and `timestamp` are **strings**; an unban "
        'or unmute is its own entry, e.g. `{\"type\":\"unban\",\"expire\":null,\"until\":null,'
        '\"reason\":\"x\"}`"',
    ),
)  # fmt: skip
