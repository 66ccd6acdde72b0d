"""The layout promises of docs/architecture.md, checked so that they stay true."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.urls import NoReverseMatch, reverse

from forums.core.areas import Area, area, area_packages

ROOT = Path(__file__).resolve().parents[2]
FORUMS = ROOT / "forums"
# The areas are found, not listed: every sub-package of forums/ that registers one (area.py).
AREAS = area_packages()
# Sub-packages of forums/ that are not areas: shared layers and tooling.
NOT_AREAS = {"core", "web", "clients", "sandbox", "management", "migrations", "templatetags"}
MODULES = ("selectors", "forms", "views", "urls")


def _modules() -> dict[str, Path]:
    found = {}
    for path in FORUMS.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules ``name`` imports, at module level or inside a function (a deferred import
    that closes a loop is still a loop), except under ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    typing_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and getattr(block.test, "id", "") == "TYPE_CHECKING"
        for n in ast.walk(block)
    }
    edges: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            edges |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                edges.add(sub if sub in known else base)
    return {e for e in edges if e in known and e != name}


def test_no_import_cycles_between_modules():
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in graph:
        if name not in index:
            visit(name)
    assert cycles == [], f"modules that import each other: {cycles}"


def _written_action_ids(folder: Path) -> set[str]:
    """The audit ids an area's code writes (``action="group.create"``)."""
    found: set[str] = set()
    for path in folder.rglob("*.py"):
        found |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text()))
    return found


def _required_permissions(folder: Path) -> set[str]:
    """The permissions an area's views ask for (``@requires("view_backups")``)."""
    views = folder / "views.py"
    if not views.exists():
        return set()
    named = re.findall(r'@requires\("([\w.]+)"\)', views.read_text())
    return {p if "." in p else f"forums.{p}" for p in named}


def recipe_problems(name: str, registered: Area | None, root: Path = ROOT) -> list[str]:
    """Every step of docs/architecture.md's "To add an area" this area skipped, in words."""
    folder = root / "forums" / name
    problems: list[str] = []
    if registered is None:
        return [f"{name}: area.py registers no Area (forums.core.areas.register)"]
    # The audit log writes nothing of its own: its writer is forums.core.audit.
    modules = MODULES if name == "audit" else ("services", *MODULES)
    problems += [
        f"{name}: no {module}.py"
        for module in modules
        if not (folder / f"{module}.py").exists() and not (folder / module).is_dir()
    ]
    urls = (root / "forums" / "urls.py").read_text()
    if f'include("forums.{name}.urls")' not in urls:
        problems.append(f"{name}: forums/urls.py does not include forums.{name}.urls")
    if not (root / "templates" / name).is_dir():
        problems.append(f"{name}: no templates/{name}/")
    if not (root / "tests" / name).is_dir():
        problems.append(f"{name}: no tests/{name}/")
    if not registered.nav.label or not registered.nav.url_name:
        problems.append(f"{name}: no navigation entry")
    if not registered.permissions:
        problems.append(f"{name}: registers no permissions")
    asked = _required_permissions(folder)
    declared = {p for each in map(area, AREAS) if each for p in each.permissions}
    problems += [
        f"{name}: its views require {p}, which no area registers" for p in sorted(asked - declared)
    ]
    labels = set(registered.labels) | set(
        registered.label_source() if registered.label_source else ()
    )
    problems += [
        f"{name}: writes audit id {a!r} without registering its label"
        for a in sorted(_written_action_ids(folder) - labels)
    ]
    return problems


def test_the_areas_are_found_not_listed():
    assert {"connections", "people", "bulk", "audit", "accounts", "groups", "tags"} <= set(AREAS)
    folders = {p.name for p in FORUMS.iterdir() if (p / "__init__.py").exists()}
    # A package with pages that does not register is an area that skipped its area.py.
    unregistered = [
        f for f in sorted(folders - NOT_AREAS - set(AREAS)) if (FORUMS / f / "views.py").exists()
    ]
    assert unregistered == []


@pytest.mark.parametrize("name", AREAS)
def test_each_area_follows_the_recipe(name):
    assert recipe_problems(name, area(name)) == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", AREAS)
def test_each_areas_menu_entry_leads_to_its_own_pages_and_its_permissions_exist(name):
    registered = area(name)
    url = reverse(registered.nav.url_name)
    assert url.startswith("/")
    names = {p.name for p in __import__(registered.urls, fromlist=["x"]).urlpatterns}
    assert registered.nav.url_name.removeprefix("forums:") in names
    existing = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    assert sorted(set(registered.permissions) - existing) == []


def test_a_skipped_recipe_step_is_named(tmp_path):
    """The recipe check itself: a new area that skipped each step hears about each one."""
    (tmp_path / "forums" / "survey").mkdir(parents=True)
    (tmp_path / "forums" / "survey" / "views.py").write_text(
        '@requires("forums.answer_surveys")\ndef page(request):\n'
        '    audit_record(action="survey.close")\n'
    )
    (tmp_path / "forums" / "urls.py").write_text("urlpatterns = []\n")
    assert recipe_problems("survey", None, tmp_path) == [
        "survey: area.py registers no Area (forums.core.areas.register)"
    ]
    from forums.core.areas import NavEntry

    bare = Area(name="survey", nav=NavEntry("", "", "", order=99))
    problems = recipe_problems("survey", bare, tmp_path)
    for step in (
        "no services.py",
        "no urls.py",
        "forums/urls.py does not include forums.survey.urls",
        "no templates/survey/",
        "no tests/survey/",
        "no navigation entry",
        "registers no permissions",
        "its views require forums.answer_surveys, which no area registers",
        "writes audit id 'survey.close' without registering its label",
    ):
        assert f"survey: {step}" in problems
    with pytest.raises(NoReverseMatch):
        reverse("forums:survey-list")


def test_no_second_views_or_forms_module_per_area():
    strays = [
        str(p.relative_to(ROOT))
        for p in FORUMS.rglob("*.py")
        if re.fullmatch(r"(views|forms)_\w+\.py", p.name)
    ]
    assert strays == []


def test_only_the_clients_and_sandboxes_ask_which_platform_they_talk_to():
    allowed = ("forums/clients/", "forums/sandbox/", "forums/migrations/", "forums/models.py")
    offenders = []
    for folder in ("forums", "dashboard"):
        for path in (ROOT / folder).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            if relative.startswith(allowed):
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if re.search(r"Platform\.(DISCOURSE|NODEBB|USERECHO)", line):
                    offenders.append(f"{relative}:{number}")
    assert offenders == []


def test_forums_urls_only_includes_the_areas():
    text = (FORUMS / "urls.py").read_text()
    assert "include(" in text and "views" not in text


def _registered_platforms():
    from forums.clients.registry import PLATFORMS

    return PLATFORMS


@pytest.mark.parametrize("key", list(_registered_platforms()))
def test_each_platform_follows_the_client_recipe(key):
    """docs/architecture.md, "To add a platform", steps 1 and 2 (docs/capabilities.md is
    checked by test_capabilities_doc.py)."""
    cls = _registered_platforms()[key]
    assert cls.platform == key and cls.software
    package = FORUMS / "clients" / key
    assert (package / "__init__.py").exists() and (package / "capability_notes.py").exists()
    assert cls.capability_notes, f"{key}: its words for docs/capabilities.md"
    assert cls.words.key_help, f"{key}: where its API key is made, for the connection form"
    names = [s.name for s in cls.settings_schema]
    assert len(set(names)) == len(names) and all(n.isidentifier() for n in names)
    signature = inspect.signature(cls.validate_settings)
    assert list(signature.parameters) == ["base_url", "api_username", "settings", "stored"], (
        f"{key}: validate_settings keeps the neutral signature"
    )


def _strings_that_are_not_docstrings(tree: ast.AST):
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node


def test_neutral_code_and_templates_never_name_a_platform_to_a_person():
    """Labels, help texts and messages outside the clients come from the clients' words, so
    a new platform is never missing from them (comments and docstrings may give examples).
    The sandbox command serves the sandboxes, which are platform code."""
    softwares = [cls.software for cls in _registered_platforms().values()]
    allowed = (
        "forums/clients/",
        "forums/sandbox/",
        "forums/migrations/",
        "forums/models.py",
        "forums/management/commands/sandbox.py",
    )
    offenders = []
    for path in FORUMS.rglob("*.py"):
        relative = str(path.relative_to(ROOT))
        if relative.startswith(allowed):
            continue
        for node in _strings_that_are_not_docstrings(ast.parse(path.read_text())):
            named = [s for s in softwares if s in node.value]
            if named:
                offenders.append(f"{relative}:{node.lineno} names {', '.join(named)}")
    for path in (ROOT / "templates").rglob("*.html"):
        text = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)
        named = [s for s in softwares if s in text]
        if named:
            offenders.append(f"{path.relative_to(ROOT)} names {', '.join(named)}")
    assert offenders == []
