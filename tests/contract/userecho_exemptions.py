"""The one list of known gaps between UserEcho's reconstructed spec and what the sandbox answers.

shared/specs/userecho/openapi.yaml renders ENDPOINTS.md section 2, but ENDPOINTS.md also says
where the real API may answer otherwise (its [C] and [I] marks). Each entry names the departure
and quotes the line of shared/specs/userecho/ENDPOINTS.md that justifies it (a test checks that
the quote is on that line). The sandbox spec test (tests/sandbox/userecho/test_openapi.py)
accepts exactly these departures and nothing else; the contract test of the UserEcho client
(tests/contract/test_userecho_contract.py) uses the same list.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Citation:
    line: int  # in shared/specs/userecho/ENDPOINTS.md
    quote: str  # fragments separated by " ... ", each verbatim on that line

    def __str__(self) -> str:
        return f'ENDPOINTS.md:{self.line} "{self.quote}"'


@dataclass(frozen=True)
class Exemption:
    key: str
    what: str
    cites: Citation

    @property
    def justification(self) -> str:
        return str(self.cites)


EXEMPTIONS: tuple[Exemption, ...] = (
    Exemption(
        key="topic:status-type-as-id",
        what="A topic's `status` and `type` are bare integer ids in a legacy forum (the "
        "sandbox's forum 3, or every forum with status_shape='id'); the spec's Topic schema "
        "says objects (Status, IdName).",
        cites=Citation(
            348,
            "15. **`status` and `type` on topics may be int or object** "
            "[C DA:205-242]. Accept both.",
        ),
    ),  # fmt: skip
    Exemption(
        key="envelope:status-fail",
        what="With failure_word='fail' an error envelope says `status: \"fail\"`; the spec's "
        "Envelope enum is [success, error].",
        cites=Citation(
            345,
            '12. **Status vocabulary**: the intro says `"error"`; the PHP client checks `"fail"`.',
        ),
    ),  # fmt: skip
    Exemption(
        key="status:error-codes",
        what="Errors answer 400/401/403/404/405 (or 200, with error_http_status='200'); the "
        "spec declares only 200 for every operation.",
        cites=Citation(
            102,
            "HTTP status codes: **not documented**. ... [I] For the simulator: "
            '200 with `status:"success"`; on failure `{"status":"error","message":'
            '"..."}` with a plausible 4xx (401 bad token, 403 scope, 404 unknown id, '
            "400 validation).",
        ),
    ),  # fmt: skip
    Exemption(
        key="query:id@DELETE",
        what="Collection-level DELETE (users/groups, forums, categories, tags) also takes the "
        "id as `?id=N`; the spec declares only the IdBody request body.",
        cites=Citation(
            120, "This is undocumented. The simulator should also accept `?id=N` in the query."
        ),
    ),  # fmt: skip
    Exemption(
        key="query:list-params",
        what="`page`, `limit`, `order_by` and `filter__*` on every list, and `sso_token` / "
        "`user_sso_guid` / `user_id` on every call, though the spec declares them on a few "
        "operations only (openapi-core and Prism ignore undeclared query parameters).",
        cites=Citation(
            134,
            "Every list endpoint takes `page`, `limit` and `filter__*` [D INTRO, "
            "SEED:87], and [C] `order_by`. Every call takes `access_token` [D], and "
            "optionally `sso_token`, `user_sso_guid` or `user_id`",
        ),
    ),  # fmt: skip
)

BY_KEY = {e.key: e for e in EXEMPTIONS}

# Requests of the UserEcho client that Prism refuses, (method, spec path) -> the exemption that
# explains it; tests/contract/test_userecho_contract.py accepts exactly these.
PRISM_REFUSALS: dict[tuple[str, str], str] = {}

# Fields the sandbox sends beyond a spec schema's declared properties. The spec's objects are
# open (no additionalProperties: false), so these validate; they are listed so that no field is
# invented without a source. Keyed by spec schema name ("User@voters": the users of V1).
ADDITIONS: dict[str, dict[str, Citation]] = {
    "Topic": {
        "comments_count": Citation(233, "`comments_count` and `votes` (DA:612, 659)."),
        "votes": Citation(347, "Votes are in `vote.total` [D] versus `votes` [C DA]."),
        "needs_review": Citation(237, "[I] Topics also carry `needs_review`, `category` and "
                                 "`forum`"),
        "category": Citation(237, "[I] Topics also carry `needs_review`, `category` and "
                             "`forum`"),
        "forum_id": Citation(236, "[C, export only] `forum_id`, `category_id`, `author_id`"),
    },
    "Author": {
        "email": Citation(159, "[C] A topic's `author` object carries `email` in DA (DA:658)."),
    },
    "Comment": {
        "comment": Citation(250, "[I] The simulator should return `text` and `comment` as "
                            "aliases"),
        "topic_id": Citation(249, "[C, export only] `comment` (body), `topic_id`, `author_id`"),
    },
    "User@voters": {
        "vote": Citation(220, "array of [I] User or vote records (unknown)"),
    },
}  # fmt: skip

# Sandbox routes (werkzeug rules) that are not a path of openapi.yaml, each with the exemption
# that explains it. Empty: every route the sandbox serves is in the spec.
UNDOCUMENTED_SANDBOX_ROUTES: dict[str, str] = {}


def exemption(key: str) -> Exemption:
    """The exemption with that key (KeyError if a test refers to an unlisted gap)."""
    return BY_KEY[key]


def citations() -> list[Citation]:
    return [e.cites for e in EXEMPTIONS] + [
        c for fields in ADDITIONS.values() for c in fields.values()
    ]
