"""docs/fidelity.md, the fidelity ledger: what each sandbox forum answers, on whose word.

    .venv/bin/python -m tools.fidelity > docs/fidelity.md

The sandboxes are the only forums the tests meet, so a rule they leave out is a bug that passes.
For every route a sandbox serves (every request a client sends goes to one of them), the ledger
names the real server's rule as the sandbox's own code cites it (the controller and method, the
plugin file, the ENDPOINTS.md row) and the tests that send that request. For every row of
``shared/specs/<platform>/ENDPOINTS.md`` it names the route that models it, or the reason it is
not modelled (``EXEMPT``).

``tests/sandbox/test_fidelity.py`` checks that the committed file is what this writes, that
every route cites evidence and is sent by a test, and that every ENDPOINTS.md row is modelled or
exempt with a reason.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_SPECS = ROOT.parent / "shared" / "specs"
CONTROL_PREFIX = "/__sandbox__"

# Where the tests of a platform's requests live (each relative to the project root).
# (folder, and its sub-folders too?); tests/clients/*.py hold the verbs' tests every platform
# shares.
TEST_DIRS = (
    ("tests/sandbox/{platform}", True),
    ("tests/clients/{platform}", True),
    ("tests/clients", False),
    ("tests/contract", True),
)

# How a handler's code cites the real server. Every route must carry at least one.
CITATION = re.compile(
    r"ENDPOINTS\.md[^\n]*"  # a row of shared/specs/<platform>/ENDPOINTS.md
    r"|(?:app|lib|config|plugins|spec|src|public)/[\w./-]+\.(?:rb|js|ts|yml)\b[^\n]*"  # source
    r"|\b(?:SEED|PHP|DA|CS|WARE|INTRO|REF-NEW|P-GOC|D INTRO)\b[:\w -]*"  # UserEcho's sources
    r"|\[[DCI](?: [\w: -]+)?\]"  # UserEcho: [D] documented, [C] client code, [I] inferred
    r"|openapi\.(?:json|yaml)[^\n]*|(?:read|write)\.yaml[^\n]*"  # the official specs
)

# ENDPOINTS.md rows that no sandbox route models, and why. Keyed by (platform, METHOD, path) as
# the row writes the path (placeholders in braces).
# Each reason says what the request is for and why Forumdeck does without it; the test also
# checks that no client sends it, so a row cannot stay here once a client starts to.
_UNUSED = "no client sends it"
EXEMPT: dict[tuple[str, str, str], str] = {
    ("discourse", "GET", "/u/by-external/{external_id}.json"): (
        f"{_UNUSED}: SSO ids are not how a community manager names people"
    ),
    ("discourse", "PUT", "/admin/users/{id}/trust_level_lock.json"): (
        f"{_UNUSED}: a trust level change sends the lock with the level (`trust_level.json`)"
    ),
    ("discourse", "PUT", "/admin/users/approve-bulk.json"): (
        f"{_UNUSED}: approvals go one account at a time, each audited with its own answer"
    ),
    ("discourse", "PUT", "/admin/users/{id}/delete_posts_batch.json"): (
        f"{_UNUSED}: posts are deleted with the account (`delete_posts` on delete)"
    ),
    ("discourse", "PUT", "/groups/{id}/owners.json"): f"{_UNUSED}: group owners are not managed",
    ("discourse", "DELETE", "/admin/groups/{id}/owners.json"): (
        f"{_UNUSED}: group owners are not managed"
    ),
    ("discourse", "GET", "/tag/{name}/info.json"): (
        f"{_UNUSED}: tag pages read `/tags.json` and `/tag/{{name}}.json`"
    ),
    ("discourse", "GET", "/tags/unused.json"): (
        f"{_UNUSED}: the unused tags are deleted in one call without listing them first"
    ),
    ("discourse", "PUT", "/t/{topic_id}/tags.json"): (
        f"{_UNUSED}: retagging goes through `PUT /topics/bulk.json`, many topics a call"
    ),
    ("discourse", "GET", "/admin/backups/logs"): (
        f"{_UNUSED}: progress is read from `/admin/backups/status.json`"
    ),
    ("discourse", "GET", "/admin/backups/{filename}?token="): (
        f"{_UNUSED}: the download link is e-mailed by the forum (`PUT /admin/backups/{{file}}`);"
        " Forumdeck never holds a backup"
    ),
    ("discourse", "DELETE", "/admin/backups/{filename}"): (
        f"{_UNUSED}: deleting a forum's backup files is left to the forum's own page"
    ),
    ("discourse", "GET", "/discourse-post-event/events/{id}.json"): (
        f"{_UNUSED}: the list answer (`include_details=true`) carries what the calendar shows"
    ),
    ("discourse", "GET", "/discourse-post-event/events/{post_id}/invitees.json"): (
        f"{_UNUSED}: invitees are not shown"
    ),
    ("discourse", "GET", "/site.json"): (
        f"{_UNUSED}: the health check reads `/site/basic-info.json` and `/about.json`"
    ),
    ("discourse", "GET", "/admin/dashboard.json"): (
        f"{_UNUSED}: the overview counts come from the user list and the review count"
    ),
    ("discourse", "GET", "/admin/version_check.json"): (
        f"{_UNUSED}: the version comes from `/about.json`"
    ),
    ("discourse", "GET", "/admin/dashboard/problems.json"): (
        f"{_UNUSED}: the forum's own problems are its admin page's business"
    ),
    ("nodebb", "POST", "/api/v3/users"): f"{_UNUSED}: Forumdeck creates no accounts",
    ("nodebb", "POST", "/api/v3/users/{uid}/emails/{email}/confirm"): (
        f"{_UNUSED}: Forumdeck creates no accounts, so confirms no e-mail"
    ),
    ("nodebb", "PUT", "/api/v3/users/{uid}"): f"{_UNUSED}: profiles are not edited",
    ("nodebb", "GET", "/api/v3/admin/groups"): (
        f"{_UNUSED}: groups are read from `/api/v3/groups` and `/api/admin/manage/groups`"
    ),
    ("nodebb", "GET", "/groups/{slug}/pending"): f"{_UNUSED}: join requests are not managed",
    ("nodebb", "PUT", "/pending/{uid}"): f"{_UNUSED}: join requests are not managed",
    ("nodebb", "DELETE", "/pending/{uid}"): f"{_UNUSED}: join requests are not managed",
    ("nodebb", "GET", "/invites"): f"{_UNUSED}: group invitations are not managed",
    ("nodebb", "POST", "/invites/{uid}"): f"{_UNUSED}: group invitations are not managed",
    ("nodebb", "PUT", "/invites/{uid}"): f"{_UNUSED}: group invitations are not managed",
    ("nodebb", "DELETE", "/invites/{uid}"): f"{_UNUSED}: group invitations are not managed",
    ("nodebb", "GET", "/api/user/uid/{uid}"): (
        f"{_UNUSED}: an account is read by uid from `/api/v3/users/{{uid}}`"
    ),
    ("nodebb", "GET", "/api/groups"): (
        f"{_UNUSED}: groups are listed from `/api/v3/groups` and `/api/admin/manage/groups`"
    ),
    ("nodebb", "POST", "/api/v3/topics"): (
        f"{_UNUSED}: Forumdeck writes no topics; the sandbox seeds its own"
    ),
    ("nodebb", "PUT", "/api/v3/tags/{tag}/follow"): f"{_UNUSED}: following is a member's choice",
    ("nodebb", "DELETE", "/api/v3/tags/{tag}/follow"): (
        f"{_UNUSED}: following is a member's choice"
    ),
    **{
        ("nodebb", method, path): f"{_UNUSED}: NodeBB categories are not managed (UserEcho's are)"
        for method, path in (
            ("GET", "/api/v3/categories"),
            ("GET", "/api/categories"),
            ("GET", "/api/admin/manage/categories"),
            ("GET", "/api/v3/categories/{cid}"),
            ("POST", "/api/v3/categories"),
            ("PUT", "/api/v3/categories/{cid}"),
            ("DELETE", "/api/v3/categories/{cid}"),
        )
    },
}


@dataclass
class Route:
    platform: str
    endpoint: str
    methods: tuple[str, ...]
    paths: list[str] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)
    summary: str = ""
    tests: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{'/'.join(self.methods)} {self.paths[0]}"


_METHODS = "GET|POST|PUT|PATCH|DELETE|HEAD"


# --- the sandboxes' routes ----------------------------------------------------------------------


def sandbox_routes(platform: str) -> list[Route]:
    from forums.sandbox.registry import SANDBOXES

    app = SANDBOXES[platform].test_app()
    routes: dict[tuple[str, tuple[str, ...]], Route] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(CONTROL_PREFIX):
            continue
        methods = tuple(sorted(m for m in rule.methods or () if m not in {"HEAD", "OPTIONS"}))
        methods = methods or ("HEAD",)
        route = routes.setdefault(
            (str(rule.endpoint), methods), Route(platform, str(rule.endpoint), methods)
        )
        route.paths.append(rule.rule)
    for route in routes.values():
        handler = getattr(type(app), route.endpoint)
        route.summary, route.citations = _evidence(handler)
        route.citations += _rule_comments(type(app), route)
    return sorted(routes.values(), key=lambda r: (r.paths[0], r.methods))


def _evidence(handler: object) -> tuple[str, list[str]]:
    source = inspect.getsource(handler)  # type: ignore[arg-type]
    doc = inspect.getdoc(handler) or ""
    summary = " ".join(doc.split("\n\n")[0].split())
    found = [_clean(m.group(0)) for m in CITATION.finditer(source)]
    return summary, _unique(found)


def _rule_comments(app_class: type, route: Route) -> list[str]:
    """Comments written just above the route's line in ``rules()``."""
    lines = inspect.getsource(app_class.rules).splitlines()  # type: ignore[attr-defined]
    found: list[str] = []
    for i, line in enumerate(lines):
        if f'"{route.endpoint}"' not in line:
            continue
        j = i - 1
        comment: list[str] = []
        while j >= 0 and lines[j].strip().startswith("#"):
            comment.insert(0, lines[j].strip().lstrip("# "))
            j -= 1
        text = " ".join(comment)
        found += [_clean(m.group(0)) for m in CITATION.finditer(text)]
    return _unique(found)


def _clean(text: str) -> str:
    text = " ".join(text.split()).strip(" .,;:")
    return text[:160] + ("…" if len(text) > 160 else "")


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


# --- the tests that send each request --------------------------------------------------------


def _path_pattern(path: str) -> re.Pattern[str]:
    """A route's path as tests and clients write it: literally or with an f-string placeholder
    (or any value) where the route takes one, with or without its ``.json``, and, where the
    API has a base path (UserEcho's ``/api/v2/``), relative to it after a quote."""
    path = re.sub(r"\.json$", "", path.rstrip("/"))
    body = ""
    for part in re.split(r"(<[^>]+>)", path):
        if part.startswith("<"):
            body += r"(?:\{[^}]*\}|[^/\"'\s{}?]+)"
        else:
            body += re.escape(part)
    relative = ""
    if path.startswith("/api/v2/"):
        relative = "|[\"']" + body[len(re.escape("/api/v2/")) :]
    return re.compile(f"(?:{body}{relative})" + r"(?:\.json)?(?:/?[\"'?])")


@dataclass(frozen=True)
class _TestFunction:
    name: str  # tests/x/test_y.py::test_z
    source: str


def _test_functions(platform: str) -> list[_TestFunction]:
    found: list[_TestFunction] = []
    for pattern, deep in TEST_DIRS:
        folder = ROOT / pattern.format(platform=platform)
        for path in sorted(folder.glob("**/*.py" if deep else "*.py")):
            text = path.read_text()
            lines = text.splitlines()
            tree = ast.parse(text)
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                    end = node.end_lineno or node.lineno
                    body = "\n".join(lines[node.lineno - 1 : end])
                    rel = path.relative_to(ROOT)
                    found.append(_TestFunction(f"{rel}::{node.name}", body))
    return found


def _client_functions(platform: str) -> dict[str, str]:
    """Each function of the platform's client package: name -> source."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "forums" / "clients" / platform).glob("*.py")):
        text = path.read_text()
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef):
                end = node.end_lineno or node.lineno
                found[node.name] = found.get(node.name, "") + "\n".join(
                    lines[node.lineno - 1 : end]
                )
    return found


def _senders(route: Route, functions: dict[str, str]) -> set[str]:
    """The client functions that send this route's request, and those that call them."""
    patterns = [_path_pattern(p) for p in route.paths]
    direct = {
        name
        for name, source in functions.items()
        if any(_line_sends(line, patterns, route.methods) for line in _statements(source))
    }
    senders = set(direct)
    for _ in range(3):  # callers of callers: a verb that reads through a helper or a property
        senders |= {
            name
            for name, source in functions.items()
            if name not in senders and any(re.search(rf"\.{d}\b|\b{d}\(", source) for d in senders)
        }
    return {n for n in senders if not n.startswith("__")}


def _line_sends(line: str, patterns: list[re.Pattern[str]], methods: tuple[str, ...]) -> bool:
    """Does this line (with the two before it, where a call's method may be written) send one
    of ``methods`` to one of the paths?"""
    last = line.splitlines()[-1] if line else ""
    if not any(p.search(last) for p in patterns):
        return False
    named = set(re.findall(rf'"({_METHODS})"', last)) or set(re.findall(rf'"({_METHODS})"', line))
    if named:
        return bool(named & set(methods))
    return "GET" in methods or "HEAD" in methods


def _statements(source: str) -> Iterator[str]:
    """Each line with the two before it."""
    lines = source.splitlines()
    for i in range(len(lines)):
        yield "\n".join(lines[max(0, i - 2) : i + 1])


def attach_tests(routes: list[Route], tests: list[_TestFunction], platform: str) -> None:
    functions = _client_functions(platform)
    for route in routes:
        patterns = [_path_pattern(p) for p in route.paths]
        verbs = set(route.methods)
        calls = [re.compile(rf"\.{name}\(") for name in _senders(route, functions)]
        for test in tests:
            if test.name.endswith("nothing"):  # asserts that nothing is sent: not a test of it
                continue
            literal = any(p.search(test.source) for p in patterns) and _sends(test.source, verbs)
            if literal or any(c.search(test.source) for c in calls):
                route.tests.append(test.name)


def _sends(source: str, verbs: set[str]) -> bool:
    """Does the test send one of these methods? A GET is any read; others are named."""
    if "GET" in verbs or "HEAD" in verbs:
        return True
    return any(re.search(rf"\b{v}\b|\.{v.lower()}\(", source) for v in verbs)


# --- ENDPOINTS.md rows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecRow:
    platform: str
    method: str
    path: str  # as the row writes it
    label: str  # the row as a reader finds it (its id or method and path)
    notes: str = field(default="", compare=False)  # the row's last cell: what it says


def spec_rows(platform: str) -> list[SpecRow]:
    text = (SHARED_SPECS / platform / "ENDPOINTS.md").read_text()
    if platform == "nodebb":  # its endpoint table; later sections quote routes in prose
        text = text[text.index("## Endpoint table") :].split("\n## ")[0]
    rows: list[SpecRow] = []
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows += list(_rows_of(platform, cells))
    return list(dict.fromkeys(rows))


def _rows_of(platform: str, cells: list[str]) -> Iterator[SpecRow]:
    if platform == "discourse":
        methods = re.split(r"\s*/\s*", cells[0]) if cells else []
        if len(cells) < 2 or not all(re.fullmatch(_METHODS, m) for m in methods):
            return
        paths = re.findall(r"`([^`]+)`", cells[1])
        pairs = (
            zip(methods, paths, strict=True)
            if len(methods) == len(paths) > 1
            else ((m, p) for m in methods for p in paths)
        )
        for method, path in pairs:
            yield SpecRow(platform, method, path, f"{method} {path}", cells[-1])
        return
    # NodeBB: "GET `/api/v3/groups`", "PUT / DELETE `/api/v3/groups/{slug}`", "GET/PUT `...`";
    # UserEcho: "| U1 | GET `users` | ..." (paths relative to /api/v2/, with .json)
    if len(cells) < 2:
        return
    if platform != "nodebb" and not re.fullmatch(r"[A-Z]{1,3}\d+[a-z]?", cells[0]):
        return
    prefix = "" if platform == "nodebb" else f"{cells[0]} "
    group = rf"((?:{_METHODS})(?:\s*/\s*(?:{_METHODS}))*) `([^`]+)`"
    inside = rf"`((?:{_METHODS})) (/[^`]+)`"  # "read `GET /api/groups`"
    last = ""
    for methods, path in re.findall(group, cells[1]) + re.findall(inside, cells[1]):
        if path.startswith("/{") and last:  # "PUT/DELETE `/{cid}`" after "POST `/api/x`"
            path = last.rstrip("/") + path
        else:
            last = path
        for method in re.split(r"\s*/\s*", methods):
            yield SpecRow(platform, method, path, f"{prefix}{method} {path}", cells[-1])


def _normal(path: str) -> str:
    """A path with every placeholder written ``{}``, no query, no trailing slash or format."""
    path = path.split("?")[0].strip()
    path = re.sub(r"<[^>]+>|\{[^}]*\}|:\w+", "{}", path)
    path = re.sub(r"\.(json|ics)$", "", path.rstrip("/"))
    return path


def _route_regex(path: str) -> re.Pattern[str]:
    parts = [re.escape(p) if p != "{}" else "[^/]+" for p in re.split(r"(\{\})", _normal(path))]
    return re.compile("".join(parts) + "$")


def modelled_by(row: SpecRow, routes: list[Route]) -> Route | None:
    want = _normal(row.path)
    if row.platform == "userecho":
        want = "/api/v2/" + want.lstrip("/")
    fitting = [
        route
        for route in routes
        if row.method in route.methods or (row.method == "HEAD" and "GET" in route.methods)
    ]
    # A literal route first ("/review/count"), then one whose placeholder takes the row's
    # literal ("/review/{id}" would take "count" too).
    for route in fitting:
        if any(_normal(p) == want for p in route.paths):
            return route
    for route in fitting:
        if any(_route_regex(p).match(want) for p in route.paths):
            return route
    return None


def sent_by_client(row: SpecRow, routes: list[Route]) -> list[str]:
    """The client functions that send this row's request and no modelled one (a row left
    unmodelled must be sent by none)."""
    path = re.sub(r"\{[^}]*\}", "<x>", row.path.split("?")[0])
    if row.platform == "userecho":
        path = "/api/v2/" + path.lstrip("/")
    pattern = _path_pattern(path)
    modelled = [
        (_path_pattern(p), r.methods) for r in routes for p in r.paths
    ]  # e.g. "/admin/backups/status.json" is modelled; "/admin/backups/{filename}" is not

    def sends(line: str) -> bool:
        if not _line_sends(line, [pattern], (row.method,)):
            return False
        return not any(_line_sends(line, [p], methods) for p, methods in modelled)

    return sorted(
        name
        for name, source in _client_functions(row.platform).items()
        if any(sends(line) for line in _statements(source))
    )


# --- the page ------------------------------------------------------------------------------------


def ledger(platforms: Iterable[str]) -> str:
    out = [
        "# The fidelity ledger",
        "",
        "Written by `python -m tools.fidelity > docs/fidelity.md`; "
        "`tests/sandbox/test_fidelity.py` keeps it current.",
        "",
        "The sandbox forums are the only forums the tests meet. For every route a sandbox serves "
        "(each request a client sends), this page gives the real server's rule as the sandbox's "
        "code cites it and the tests that send that request; then, for every row of "
        "`shared/specs/<platform>/ENDPOINTS.md`, the route that models it or why none does.",
        "",
    ]
    for platform in platforms:
        routes = sandbox_routes(platform)
        attach_tests(routes, _test_functions(platform), platform)
        rows = spec_rows(platform)
        attach_rows(routes, rows)
        out += [f"## {platform}", "", "### Routes", ""]
        out += ["| request | rule | evidence | tests |", "| --- | --- | --- | --- |"]
        for route in routes:
            tests = ", ".join(f"`{t.split('::')[1]}`" for t in route.tests[:3])
            if len(route.tests) > 3:
                tests += f" (+{len(route.tests) - 3})"
            out.append(
                f"| `{route.key}` | {_cell(route.summary)} | "
                f"{_cell('; '.join(route.citations[:3]))} | {tests or '**none**'} |"
            )
        out += ["", "### ENDPOINTS.md rows", "", "| row | modelled by |", "| --- | --- |"]
        for row in rows:
            model = modelled_by(row, routes)
            reason = EXEMPT.get((row.platform, row.method, row.path))
            if model is not None:
                where = f"`{model.endpoint}`"
            elif reason:
                where = f"not modelled: {reason}"
            else:
                where = "**nothing**"
            out.append(f"| {_cell(row.label)} | {where} |")
        rules = server_rules(platform)
        if rules:
            out += ["", "### Rules the real server enforces (ENDPOINTS.md)", ""]
            out += ["| rule | source | enforced in | tests |", "| --- | --- | --- | --- |"]
            for rule in rules:
                tests = ", ".join(f"`{t.split('::')[1]}`" for t in rule.tests[:3])
                if len(rule.tests) > 3:
                    tests += f" (+{len(rule.tests) - 3})"
                enforced = ", ".join(f"`{e}`" for e in rule.enforced_in)
                out.append(
                    f"| {_cell(rule.area)} | {_cell(rule.source)} | {enforced or '**nowhere**'} "
                    f"| {tests or '**none**'} |"
                )
        out.append("")
    return "\n".join(out)


def attach_rows(routes: list[Route], rows: list[SpecRow]) -> None:
    """A route that models an ENDPOINTS.md row has that row (and its sources) as evidence."""
    for row in rows:
        route = modelled_by(row, routes)
        if route is not None:
            route.citations.insert(0, f"ENDPOINTS.md {row.label}")
            if not route.summary and row.notes:
                route.summary = _clean(row.notes.replace("**", ""))


@dataclass
class ServerRule:
    """A row of Discourse's "Rules the real server enforces": where the sandbox enforces it and
    which tests check it, each found by its citation (``"Rules" / <area>`` or
    ``Row "<area>"``)."""

    area: str
    source: str
    enforced_in: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)


def server_rules(platform: str) -> list[ServerRule]:
    text = (SHARED_SPECS / platform / "ENDPOINTS.md").read_text()
    if "## Rules the real server" not in text:
        return []
    section = text[text.index("## Rules the real server") :].split("\n## ")[0]
    rules: list[ServerRule] = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| ") or len(cells) < 3 or cells[0] in {"area", "---"}:
            continue
        rules.append(ServerRule(cells[0].replace("`", ""), cells[2]))
    sandbox = sorted((ROOT / "forums" / "sandbox" / platform).glob("*.py"))
    tests = _test_functions(platform)
    for rule in rules:
        cited = _rule_citation(rule.area)
        rule.enforced_in = [
            str(p.relative_to(ROOT))
            for p in sandbox
            if cited.search(p.read_text().replace("`", ""))
        ]
        rule.tests = [t.name for t in tests if cited.search(t.source.replace("`", ""))]
    return rules


def _rule_citation(area: str) -> re.Pattern[str]:
    a = re.escape(area)
    return re.compile(rf'"Rules"\W{{0,3}}{a}\b|Row "{a}"', re.IGNORECASE)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main() -> None:
    from forums.sandbox.registry import SANDBOXES

    sys.stdout.write(ledger(SANDBOXES))


if __name__ == "__main__":
    main()
