"""The sandbox Discourse's user table answers through its indexes exactly what a scan of every
account would, and stays right whoever changes a row."""

from __future__ import annotations

import re

from werkzeug.test import Client

from forums.sandbox.core import SandboxConfig
from forums.sandbox.discourse import DiscourseSandbox

HEADERS = {"Api-Key": "k", "Api-Username": "system"}


def make() -> DiscourseSandbox:
    return DiscourseSandbox(
        SandboxConfig(
            api_key="k", api_username="system", users=300, admin_requests_per_minute=100_000
        )
    )


def scanned(app: DiscourseSandbox, terms: list[str]) -> list[int]:
    """The admin list's filter as AdminUserIndexQuery words it, by reading every account."""
    users = [u for u in app.users.values() if u["id"] > 0]
    if len(terms) == 1 and re.fullmatch(r".+@.+", terms[0]):
        exact = [u for u in users if u["email"].lower() == terms[0]]
        if exact:
            users = exact
    users = [
        u
        for u in users
        if any(t in u["username"].lower() or t in u["email"].lower() for t in terms)
        or u["email"].lower() in {t for t in terms if "@" in t}
    ]
    users.sort(key=lambda u: (u["last_seen_at"] or app.now, u["id"]), reverse=True)
    return [u["id"] for u in users]


def listed(app: DiscourseSandbox, **query: str) -> list[int]:
    response = Client(app).get("/admin/users/list/active.json", query_string=query, headers=HEADERS)
    assert response.status_code == 200
    return [u["id"] for u in response.get_json()]


def test_the_admin_list_filter_finds_what_a_scan_finds():
    app = make()
    users = [u for u in app.users.values() if u["id"] > 0]
    terms = [u["username"] for u in users[10:20]] + [users[30]["email"], "nobody_at_all", "an"]
    for chosen in (terms, [users[5]["username"]], [users[7]["email"].upper()], ["xyz-none"]):
        lowered = [t.lower() for t in chosen]
        found: list[int] = []
        for page in (1, 2, 3):
            found += listed(app, filter=",".join(chosen), page=str(page))
        assert found == scanned(app, lowered)
    assert listed(app, filter=users[5]["username"])[0] == users[5]["id"]


def test_every_account_oldest_first_pages_as_a_sort_would():
    app = make()
    oldest_first = sorted(
        (u for u in app.users.values() if u["id"] > 0), key=lambda u: (u["created_at"], u["id"])
    )
    pages = listed(app, order="created", asc="true", page="1") + listed(
        app, order="created", asc="true", page="2"
    )
    assert pages == [u["id"] for u in oldest_first[:200]]
    newest = app.add_person(username="latecomer", email="late@example.org")
    assert listed(app, order="created", page="1")[0] == newest  # the cached order follows


def test_lookups_follow_renames_deletions_and_new_accounts():
    app = make()
    user = next(u for u in app.users.values() if u["id"] > 5 and not u["admin"])
    old_name, uid = user["username"], user["id"]
    app.users[uid]["username"] = "Renamed_In_Place"  # as a test or the control call may
    assert app.find_user("renamed_in_place")["id"] == uid
    assert app.find_user(old_name) is None
    response = Client(app).put(f"/admin/users/{uid}/anonymize.json", headers=HEADERS)
    anon = response.get_json()["username"]
    assert app.find_user(anon.upper())["id"] == uid
    assert app.users.find("email", f"{anon}@anonymized.invalid")["id"] == uid
    assert listed(app, filter=anon) == [uid]
    app._remove_user(uid)
    assert app.find_user(anon) is None and listed(app, filter=anon) == []
    new = app.add_person(username="Fresh", email="Fresh@Example.org")
    assert app.find_user("FRESH")["id"] == new
    assert app.users.find("email", "fresh@example.org")["id"] == new
    assert app.find_user("SYSTEM")["id"] == -1
