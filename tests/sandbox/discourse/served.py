"""A sandbox Discourse served on a loopback port, called over HTTP as the real one would be
(the rules of shared/specs/discourse/ENDPOINTS.md "Rules the real server enforces")."""

from __future__ import annotations

import requests

KEY = "fidelity-key"
SYSTEM = {"Api-Key": KEY, "Api-Username": "system"}


# The sandbox fixture (tests/sandbox/discourse/conftest.py) serves this config.
SANDBOX_CONFIG = {
    "discourse": {"api_key": KEY, "users": 150, "admin_requests_per_minute": 100_000, "seed": 7}
}


def get(sb, path, headers=SYSTEM, **kwargs):
    return requests.get(sb.url + path, headers=headers, timeout=5, **kwargs)


def send(sb, method, path, headers=SYSTEM, **kwargs):
    return requests.request(method, sb.url + path, headers=headers, timeout=5, **kwargs)


def as_user(username: str) -> dict[str, str]:
    return {"Api-Key": KEY, "Api-Username": username}


def configure(sb, **settings) -> None:
    assert requests.post(sb.url + "/__sandbox__/config", json=settings, timeout=5).ok


def set_user(sb, user_id: int, **fields) -> None:
    r = requests.post(f"{sb.url}/__sandbox__/users/{user_id}", json=fields, timeout=5)
    assert r.ok, r.text


def regular(sb, **wanted) -> dict:
    """A seeded user who is not staff and not penalised, matching ``wanted``."""
    app = sb.app
    for user in sorted(app.users.values(), key=lambda u: u["id"]):
        if (
            user["id"] > 0
            and not (user["admin"] or user["moderator"])
            and not app.suspended(user)
            and not app.silenced(user)
            and all(user[k] == v for k, v in wanted.items())
        ):
            return user
    raise AssertionError(f"no seeded user with {wanted}")


def moderator(sb) -> dict:
    return next(u for u in sb.app.users.values() if u["moderator"] and not u["admin"])


def exists(sb, user_id: int) -> bool:
    return get(sb, f"/admin/users/{user_id}.json").status_code == 200
