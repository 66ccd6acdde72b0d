"""Seed data for the UserEcho sandbox: one project with three forums, its users and groups, and
per forum its topic types, statuses, categories, tags, topics, comments and votes.

Deterministic for a given ``seed`` so tests and demos see the same project every time. Ids are
project-wide integers (the project-wide routes `tags/{id}/topics` and `categories/{id}/topics`
need that), but a type, status, category or tag belongs to one forum: forum 2's "bug" tag is not
forum 1's "bug" tag (ENDPOINTS.md section 4, trap 4 [I]).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from .state import UserEchoState

FIRST = (
    "Alice", "Bruno", "Chloe", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jakob",
    "Kofi", "Lena", "Marco", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Sven", "Tess",
    "Umar", "Vera", "Wiktor", "Ximena", "Yann", "Zara",
)  # fmt: skip
LAST = (
    "Andersen", "Barros", "Costa", "Dahl", "Eriksen", "Fischer", "Gomez", "Horvat", "Ivanova",
    "Janssen", "Kaur", "Lindqvist", "Moreau", "Nowak", "Okafor", "Petrov",
)  # fmt: skip
TITLES = ("Customer", "Beta tester", "Partner", "")
# [D] P-GOC / P-FORUM-C list the project languages; the seed uses a few of them.
LANGUAGES = ("en", "en", "en", "de", "fr", "es", "ru", "pt-br")
EVENTS = (
    "topic.created", "topic.deleted", "topic.accepted", "topic.satisfaction_received",
    "comment.created", "comment.deleted", "comment.accepted",
)  # fmt: skip  # [D] P-HOOK-C
# [D] P-FORUM-C: the forum types a project can create; the ids are the sandbox's [I].
FORUM_TYPES = {
    "PUBLIC": 1,
    "PRIVATE": 2,
    "KNOWLEDGEBASE PUBLIC": 3,
    "KNOWLEDGEBASE PRIVATE": 4,
    "HELPDESK": 5,
}
# Topic types and their statuses. [C] DA:217, 551: status ids are per project and type, e.g.
# New, Under review, Planned, Started, Completed; colours are hex without '#' [D P-TOPIC-C].
TYPE_STATUSES = {
    "Ideas": (("New", "999999"), ("Under review", "e4a11b"), ("Planned", "3b83bd"),
              ("Started", "8e44ad"), ("Completed", "27ae60"), ("Declined", "c0392b")),
    "Problems": (("New", "999999"), ("Confirmed", "e67e22"), ("In progress", "3b83bd"),
                 ("Fixed", "27ae60"), ("Can't reproduce", "7f8c8d")),
    "Questions": (("New", "999999"), ("Answered", "27ae60")),
}  # fmt: skip
# The three forums: (name, type, legacy, types, categories, tags, topics, needing review).
# "Billing" and the tags "bug"/"api" exist in several forums under different ids on purpose.
FORUMS = (
    ("Ideas & Feedback", "PUBLIC", False, ("Ideas", "Problems", "Questions"),
     ("Dashboard", "Mobile app", "Integrations", "Billing"),
     ("bug", "feature", "ux", "api", "mobile", "performance", "docs", "sso"), 64, 6),
    ("Support", "HELPDESK", False, ("Questions", "Problems"),
     ("Account", "Billing", "Installation"),
     ("bug", "urgent", "login", "billing", "howto", "api"), 30, 4),
    # [C] DA:205-242: "legacy" forums answer topic status/type as bare ids.
    ("Beta program", "PRIVATE", True, ("Ideas", "Problems"),
     ("Early access", "Feedback"),
     ("beta", "bug", "crash", "feedback"), 14, 2),
)  # fmt: skip
SUBJECTS = (
    "dark mode",
    "CSV export",
    "SSO login",
    "the mobile app",
    "e-mail digests",
    "the API",
    "two-factor sign-in",
    "invoices",
    "search",
    "notifications",
    "the widget",
    "webhooks",
)
HEADERS = (
    "Add {x}",
    "Problem with {x}",
    "How do I set up {x}?",
    "{x} is slow since the update",
    "Better {x} for teams",
    "{x} does not work on Safari",
)
COMMENTS = (
    "Same here, we need this too.",
    "Thanks, we have added it to our roadmap.",
    "Any news on this?",
    "It works again after the last release.",
    "Could you send us a screenshot?",
)


def iso(moment: datetime) -> str:
    """[D] P-TOPIC-C / P-GOC: ISO-8601 UTC with milliseconds and `Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def slugify(text: str) -> str:
    out = "".join(c.lower() if c.isalnum() else "-" for c in text.strip())
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


def new_user(
    state: UserEchoState,
    *,
    name: str,
    email: str,
    joined: datetime,
    slug: str = "",
    title: str = "",
    language: str = "en",
    is_staff: bool = False,
    sso_guid: str | None = None,
    email_verified: bool = True,
) -> dict[str, Any]:
    uid = state.next_id("user")
    slug = slug or slugify(name) or f"user-{uid}"
    if state.users.find("slug", slug) is not None:
        slug = f"{slug}-{uid}"
    user = {
        "id": uid,
        "name": name,
        "title": title,
        "slug": slug,
        "email": email,
        "email_verified": email_verified,
        "language": language,
        "rating": 0.0,
        "is_staff": is_staff,
        "date_joined": iso(joined),
        "last_activity": iso(joined),
        "sso_guid": sso_guid,
        "custom_fields": {},
        "groups": set(),
        "sessions": 0,  # open browser sessions; `logout` clears them
        "updates_count": 0,
    }
    state.users[uid] = user
    return state.users[uid]  # the stored row, which keeps the indexes current


def new_forum(
    state: UserEchoState, *, name: str, kind: str, created: datetime, legacy: bool = False
) -> dict[str, Any]:
    fid = state.next_id("forum")
    forum = {
        "id": fid,
        "name": name,
        "description": f"{name}: tell us what you think.",
        "type": kind,
        "is_default": not state.forums,
        "allow_anonymous_topic": False,
        "allow_anonymous_votes": False,
        "allow_anonymous_comments": False,
        "allow_private_sso_users": False,
        "allow_private_view_all": False,
        "locale": "en",
        "created": iso(created),
        "legacy": legacy,
        # [D] P-TOPIC-C: custom fields are defined per forum, sent as {"cf_1": ...}.
        "custom_fields": [{"id": 1, "code_name": "cf_1", "name": "Plan"}],
    }
    state.forums[fid] = forum
    if kind.endswith("PRIVATE"):
        state.access_lists[fid] = []
    return forum


def add_type(state: UserEchoState, *, forum_id: int, name: str, now: datetime) -> dict[str, Any]:
    tid = state.next_id("type")
    kind = {"id": tid, "forum_id": forum_id, "name": name, "statuses": []}
    for status_name, color in TYPE_STATUSES.get(name, TYPE_STATUSES["Ideas"]):
        sid = state.next_id("status")
        state.statuses[sid] = {
            "id": sid, "type_id": tid, "name": status_name, "color": color,
            "updated": iso(now - timedelta(days=400)),
        }  # fmt: skip
        kind["statuses"].append(sid)
    state.types[tid] = kind
    return kind


def add_named(state: UserEchoState, kind: str, *, forum_id: int, name: str) -> dict[str, Any]:
    """A category or a tag of one forum."""
    item_id = state.next_id(kind)
    item = {"id": item_id, "forum_id": forum_id, "name": name}
    getattr(state, {"category": "categories", "tag": "tags"}[kind])[item_id] = item
    return item


def seed_state(
    *, seed: int, users: int, now: datetime, people: Iterable[dict[str, str]] = ()
) -> UserEchoState:
    """A realistic project; ``people`` ({name, email, slug}) get accounts too (the demo's
    people shared across forums)."""
    rng = random.Random(seed)
    state = UserEchoState()

    def joined() -> datetime:
        return now - timedelta(days=rng.randint(20, 1500), minutes=rng.randint(0, 1439))

    # The token's own user: the project owner, with the e-mail the Discourse and NodeBB
    # sandboxes' admins have, so the People page finds the admin on all three.
    owner = new_user(
        state,
        name="Forum Admin",
        email="admin@example.com",
        joined=now - timedelta(days=2000),
        slug="forum-admin",
        title="Project owner",
        is_staff=True,
    )
    owner["sessions"] = 2
    for agent in ("Support Agent", "Product Manager"):
        new_user(
            state,
            name=agent,
            email=f"{slugify(agent).replace('-', '.')}@example.com",
            joined=joined(),
            title="Team",
            is_staff=True,
        )
    for person in people:
        new_user(
            state,
            name=person["name"],
            email=person["email"],
            slug=person["slug"],
            joined=joined(),
            title="Customer",
        )
    # Someone whose name looks like a demo person's but whose e-mail differs: a name search
    # is not an identity.
    new_user(state, name="Maria Lopes", email="maria.lopes@example.net", joined=joined())
    emails = {u["email"] for u in state.users.values()}
    while len(state.users) < max(users, 12):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first.lower()}.{last.lower()}@example.net"
        if email in emails:
            email = f"{first.lower()}.{last.lower()}{rng.randint(2, 999)}@example.net"
            if email in emails:
                continue
        emails.add(email)
        user = new_user(
            state,
            name=f"{first} {last}",
            email=email,
            joined=joined(),
            title=rng.choice(TITLES),
            language=rng.choice(LANGUAGES),
        )
        user["rating"] = float(rng.randint(0, 40))
        user["sessions"] = rng.randint(0, 3)
        user["updates_count"] = rng.randint(0, 12)
        if rng.random() < 0.3:
            user["sso_guid"] = f"crm-{user['id']:05d}"
        if rng.random() < 0.1:
            user["email_verified"] = False
        user["last_activity"] = iso(now - timedelta(days=rng.randint(0, 19)))
    staff = [u for u, row in state.users.items() if row["is_staff"]]
    regular = [u for u, row in state.users.items() if not row["is_staff"]]

    # User groups [D P-GRP-C]: vote_weight 1..5, vote_count null = unlimited.
    for name, weight, count, members in (
        ("Customers", 1, None, rng.sample(regular, min(30, len(regular)))),
        ("Beta testers", 2, 20, rng.sample(regular, min(24, len(regular)))),
        ("Partners", 3, None, rng.sample(regular, min(6, len(regular)))),
        ("Team", 5, None, staff),
    ):
        gid = state.next_id("group")
        state.groups[gid] = {"id": gid, "name": name, "vote_weight": weight, "vote_count": count}
        for uid in members:
            state.users[uid]["groups"].add(gid)

    for spec in FORUMS:
        name, kind, legacy, type_names, categories, tags, topic_count, review = spec
        forum = new_forum(
            state,
            name=name,
            kind=kind,
            legacy=legacy,
            created=now - timedelta(days=1200 - 100 * len(state.forums)),
        )
        types = [add_type(state, forum_id=forum["id"], name=t, now=now) for t in type_names]
        cats = [add_named(state, "category", forum_id=forum["id"], name=c) for c in categories]
        tag_rows = [add_named(state, "tag", forum_id=forum["id"], name=t) for t in tags]
        if forum["id"] in state.access_lists:
            beta = next(g for g in state.groups.values() if g["name"] == "Beta testers")
            state.access_lists[forum["id"]] = sorted(
                state.users[u]["email"]
                for u in state.users
                if beta["id"] in state.users[u]["groups"]
            )
        for n in range(topic_count):
            kind_row = rng.choice(types)
            created = now - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 1439))
            subject = rng.choice(SUBJECTS)
            header = rng.choice(HEADERS).format(x=subject)
            header = header[0].upper() + header[1:]
            topic_id = state.next_id("topic")
            voters = rng.sample(regular, rng.randint(0, 9))
            state.topics[topic_id] = {
                "id": topic_id,
                "forum_id": forum["id"],
                "header": header,
                "description": f"<p>{header}. We would like {subject} to work better.</p>",
                "created": iso(created),
                "updated": iso(min(created + timedelta(days=rng.randint(0, 20)), now)),
                "type_id": kind_row["id"],
                "status_id": rng.choice(kind_row["statuses"]),
                "category_id": rng.choice([None, *(c["id"] for c in cats)]),
                "tag_ids": sorted(t["id"] for t in rng.sample(tag_rows, rng.randint(0, 3))),
                "author_id": rng.choice(regular),
                "assigned_to": rng.choice([None, None, *staff]),
                # The newest few wait for review: the review queue.
                "needs_review": n >= topic_count - review,
                "show_voter": True,
                "custom_fields": {"cf_1": rng.choice(["Free", "Pro", "Enterprise"])},
                "votes": {uid: (1 if rng.random() < 0.85 else -1) for uid in voters},
            }
    # Comments, oldest first; agents answer officially now and then.
    for topic in sorted(state.topics.values(), key=lambda t: t["created"]):
        for n in range(rng.randint(0, 4)):
            cid = state.next_id("comment")
            official = rng.random() < 0.25
            state.comments[cid] = {
                "id": cid,
                "topic_id": topic["id"],
                "text": rng.choice(COMMENTS),
                "is_official": official,
                "author_id": rng.choice(staff if official else regular),
                "created": iso(datetime.fromisoformat(topic["created"].replace("Z", "+00:00"))
                               + timedelta(hours=5 * (n + 1))),
            }  # fmt: skip
    hook_id = state.next_id("hook")
    state.hooks[hook_id] = {
        "id": hook_id,
        "target_url": "https://hooks.example.com/userecho",
        "events": {event: event == "topic.created" for event in EVENTS},
    }
    return state
