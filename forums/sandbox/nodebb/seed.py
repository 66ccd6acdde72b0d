"""Seed data for the NodeBB sandbox: people, groups, topics, tags, flags and queued posts.

Deterministic for a given ``seed`` so tests and demos see the same forum every time.
"""

from __future__ import annotations

import random
import re
from typing import Any

from .state import NodeBBState

FIRST = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "xena",
    "yusuf", "zoe", "amir", "bea", "chen", "dana", "eli", "fatima", "gus", "hana", "igor",
    "jonas", "kira", "liam", "maya", "nora", "omar", "pia", "quinn", "rosa", "sam", "tara",
    "uma", "vera", "wes", "yara",
)  # fmt: skip
LAST = (
    "smith", "jones", "lee", "khan", "garcia", "muller", "rossi", "tanaka", "novak", "silva",
    "dubois", "kowalski",
)  # fmt: skip
BAN_REASONS = (
    "Spam links in every post",
    "Repeated harassment after warnings",
    "Ban evasion (second account)",
    "Selling accounts",
)
MUTE_REASONS = ("Cooling off after a heated thread", "Off-topic flooding", "Necro-posting")
TAG_POOL = (
    "help", "howto", "bug", "feature-request", "release", "plugins", "themes", "api", "docker",
    "upgrade", "performance", "security", "backup", "email", "sso", "search", "mobile",
    "translations", "design", "accessibility", "moderation", "nginx", "redis", "mongodb",
    "postgres",
)  # fmt: skip
TITLES = (
    "How do I {x} after upgrading?",
    "Problem with {x} on a fresh install",
    "Best practice for {x}?",
    "{x} stopped working since yesterday",
    "Idea: better {x} support",
    "Guide: setting up {x} step by step",
)
HOBBY_GROUPS = (
    "Photographers", "Cyclists", "Gardeners", "Chess-Club", "Bakers", "Hikers", "Gamers",
    "Readers", "Runners", "Painters", "Coders", "Musicians", "Birdwatchers", "Climbers",
    "Sailors", "Knitters", "Astronomers", "Potters",
)  # fmt: skip
COLORS = ("#f44336", "#e91e63", "#9c27b0", "#3f51b5", "#009688", "#ff9800", "#795548")

DAY_MS = 86_400_000


def slugify(text: str) -> str:
    out = "".join(c.lower() if c.isalnum() else "-" for c in text.strip())
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


# meta.config minimumTagLength / maximumTagLength (defaults; src/topics/tags.js filterTags)
MIN_TAG_LENGTH, MAX_TAG_LENGTH = 3, 15
_TAG_FORBIDDEN = re.compile(r"""[,/#!$^*;:{}=_`<>'"~()?|]""")


def clean_tag(tag: str) -> str:
    """NodeBB's utils.cleanUpTag (public/src/utils.common.js): trimmed, lower case, its
    forbidden characters removed, cut to maximumTagLength, no leading or trailing . or -;
    spaces become dashes, as the sandbox has always stored them."""
    if not isinstance(tag, str):
        return ""
    tag = _TAG_FORBIDDEN.sub("", "-".join(tag.strip().lower().split()))
    tag = tag[:MAX_TAG_LENGTH].strip()
    return tag.strip(".-") or tag


def new_user(uid: int, username: str, now: int, rng: random.Random) -> dict[str, Any]:
    joined = now - rng.randint(30, 1100) * DAY_MS
    return {
        "uid": uid,
        "username": username,
        "userslug": slugify(username),
        "fullname": "",
        "email": f"{slugify(username).replace('-', '.')}@example.com",
        "email_confirmed": True,
        "joindate": joined,
        "lastonline": min(now, joined + rng.randint(0, 1000) * DAY_MS),
        "reputation": rng.randint(0, 400),
        "postcount": rng.randint(0, 900),
        "topiccount": rng.randint(0, 60),
        "banned": False,
        "banned_expire": 0,
        "mutedUntil": 0,
        "mutedReason": "",
        "bans": [],  # moderation history, newest first
        "mutes": [],
        "color": rng.choice(COLORS),
    }


def new_group(name: str, now: int, **extra: Any) -> dict[str, Any]:
    group = {
        "name": name,
        "slug": slugify(name),
        "description": "",
        "createtime": now - 400 * DAY_MS,
        "hidden": 0,
        "private": 0,
        "system": 0,
        "disableJoinRequests": 0,
        "disableLeave": 0,
        "userTitle": name,
        "userTitleEnabled": 0,
        "members": [],
        "owners": [],
    }
    group.update(extra)
    return group


def seed_state(*, seed: int, users: int, now: int) -> NodeBBState:
    rng = random.Random(seed)
    state = NodeBBState()
    names: set[str] = set()

    def add_user(username: str) -> dict[str, Any]:
        uid = state.next_uid
        state.next_uid += 1
        state.users[uid] = new_user(uid, username, now, rng)
        names.add(username.lower())
        return state.users[uid]  # the stored row, which keeps the indexes current

    admin = add_user("admin")
    admin.update(fullname="Site Admin", reputation=999, postcount=1200)
    mod = add_user("moderator")
    mod.update(fullname="Global Mod", reputation=500)
    while state.next_uid <= max(users, 12):
        name = f"{rng.choice(FIRST)}_{rng.choice(LAST)}"
        if name.lower() in names:
            name = f"{name}{rng.randint(2, 99)}"
            if name.lower() in names:
                continue
        user = add_user(name)
        if rng.random() < 0.5:
            user["fullname"] = name.replace("_", " ").title()
        if rng.random() < 0.12:
            user["email_confirmed"] = False  # pending: not resolvable by e-mail
        roll = rng.random()
        if roll < 0.07:
            permanent = rng.random() < 0.5
            expire = 0 if permanent else now + rng.randint(2, 60) * DAY_MS
            reason = rng.choice(BAN_REASONS)
            user.update(banned=True, banned_expire=expire)
            user["bans"].insert(0, history_entry("ban", 1, now - DAY_MS, expire, reason))
        elif roll < 0.11:
            until = now + rng.randint(1, 14) * DAY_MS
            reason = rng.choice(MUTE_REASONS)
            user.update(mutedUntil=until, mutedReason=reason)
            user["mutes"].insert(0, history_entry("mute", 2, now - DAY_MS, until, reason))
        elif roll < 0.13:
            user.update(mutedUntil=now - DAY_MS, mutedReason="Expired mute")

    uids = sorted(state.users)
    regular = [u for u in uids if u > 2]

    def group(name: str, members: list[int], **extra: Any) -> None:
        g = new_group(name, now, **extra)
        g["members"] = sorted(set(members))
        state.groups[name] = g

    group("administrators", [1], system=1, private=1, description="Forum administrators")
    group("Global Moderators", [2], system=1, private=1, description="Moderate every category")
    group("registered-users", uids, system=1)
    group("banned-users", [u for u in uids if state.users[u]["banned"]], system=1, hidden=1)
    # A privilege group: membership grants "moderate" in category 1; admins only may change it.
    group("cid:1:privileges:moderate", [2], system=1, hidden=1)
    group(
        "Beta Testers",
        rng.sample(regular, min(45, len(regular))),
        owners=[regular[0]],
        description="Try new features first",
    )
    group("Translators", rng.sample(regular, min(12, len(regular))), description="Localisation")
    group("Support Team", rng.sample(regular, min(25, len(regular))), hidden=1)
    group("Newsletter", rng.sample(regular, min(8, len(regular))), private=1)
    for hobby in HOBBY_GROUPS:
        group(hobby, rng.sample(regular, min(rng.randint(0, 6), len(regular))))
    for g in state.groups.values():
        if g["owners"]:
            g["members"] = sorted(set(g["members"]) | set(g["owners"]))

    # Topics: "help" is common enough to need two pages of /api/tags/help.
    for _ in range(90):
        tid = state.next_tid
        state.next_tid += 1
        subject = rng.choice(TAG_POOL)
        tags = {subject} | set(rng.sample(TAG_POOL, rng.randint(0, 2)))
        if rng.random() < 0.3:
            tags.add("help")
        title = rng.choice(TITLES).format(x=subject)
        state.topics[tid] = {
            "tid": tid,
            "uid": rng.choice(uids),
            "cid": rng.randint(1, 4),
            "title": title,
            "slug": f"{tid}/{slugify(title)}",
            "timestamp": now - rng.randint(1, 300) * DAY_MS,
            "postcount": rng.randint(1, 40),
            "viewcount": rng.randint(5, 3000),
            "tags": sorted(tags)[:5],
        }
        state.tags.update(state.topics[tid]["tags"])

    tids = sorted(state.topics)
    states = ["open"] * 7 + ["wip", "wip", "resolved", "resolved", "rejected"]
    for flag_id, flag_state in enumerate(states, start=1):
        target = rng.choice(regular)
        kind = "post" if flag_id % 3 else "user"
        state.flags.append(
            {
                "flagId": flag_id,
                "type": kind,
                "targetId": rng.randint(100, 900) if kind == "post" else target,
                "targetUid": target,
                "state": flag_state,
                "datetime": now - rng.randint(1, 20) * DAY_MS,
                "heat": rng.randint(1, 5),
                "assignee": None,
            }
        )
    for n in range(23):
        poster = rng.choice(regular)
        state.queue.append(
            {
                "id": f"topic-{now // 1000}-{n}",
                "uid": poster,
                "type": "topic" if n % 2 else "reply",
                "cid": rng.randint(1, 4),
                "tid": rng.choice(tids),
                "title": f"New member question #{n + 1}",
                "content": "Hello! First post here, is this the right place?",
                "timestamp": now - rng.randint(1, 72) * 3_600_000,
            }
        )
    seed_lifted_penalties(state, seed, now)
    seed_review_details(state, seed, now)
    return state


FLAG_REASONS = (
    "Spam", "Offensive", "Off-topic and advertising", "Harassment of another member",
    "Links to a phishing site",
)  # fmt: skip
POST_TEXTS = (
    "Cheap watches and bags, visit my shop!",
    "You are all idiots, this forum is useless.",
    "Earn $500 a day from home, DM me.",
    "Check this out: http://example.invalid/free-stuff",
)


def seed_review_details(state: NodeBBState, seed: int, now: int) -> None:
    """What each seeded flag is about (its own random stream, so the rest of the seed stays
    as it was): the flagged post, the reports that make its heat (src/flags.js Flags.list:
    `heat` is the number of reports), notes and history; queued replies name their topic."""
    rng = random.Random(f"{seed}:review")
    reporters = [u for u in sorted(state.users) if u > 2]
    for flag in state.flags:
        flag.update(reports=[], notes=[], history=[], cid=None)
        for n in range(flag.pop("heat", 1)):
            flag["reports"].append({"uid": reporters[(flag["flagId"] * 7 + n) % len(reporters)],
                                    "value": rng.choice(FLAG_REASONS),
                                    "timestamp": flag["datetime"] + n * 60_000})  # fmt: skip
        if flag["type"] != "post":
            continue
        while flag["targetId"] in state.posts:
            flag["targetId"] += 1
        tid = rng.choice(sorted(state.topics))
        flag["cid"] = state.topics[tid]["cid"]
        state.posts[flag["targetId"]] = {
            "pid": flag["targetId"], "tid": tid, "uid": flag["targetUid"],
            "content": rng.choice(POST_TEXTS), "timestamp": flag["datetime"] - 3_600_000,
            "deleted": 0,
        }  # fmt: skip
        if flag["state"] != "open":
            flag["history"].append({"uid": 2, "fields": {"state": flag["state"]},
                                    "datetime": flag["datetime"] + 3_600_000})  # fmt: skip


def history_entry(kind: str, from_uid: int, timestamp: int, until: int | None, reason: str):
    """One stored ban/unban/mute/unmute record (``uid:<uid>:ban:<ts>`` etc.)."""
    return {"type": kind, "fromUid": from_uid, "timestamp": timestamp, "expire": until,
            "reason": reason}  # fmt: skip


# Earlier bans that were lifted: unban records live in their own sorted set and show up in the
# history as entries of their own (ENDPOINTS.md "What a real NodeBB 4.15.1 answers").
def seed_lifted_penalties(state: NodeBBState, seed: int, now: int) -> None:
    rng = random.Random(f"{seed}:lifted")
    candidates = [u for u in state.users.values() if u["uid"] > 2 and not u["banned"]]
    for user in rng.sample(candidates, min(4, len(candidates))):
        banned_at = now - rng.randint(20, 60) * DAY_MS
        user["bans"][:0] = [
            history_entry("unban", 1, banned_at + 3 * DAY_MS, None, "Appeal accepted"),
            history_entry("ban", 1, banned_at, banned_at + 7 * DAY_MS, rng.choice(BAN_REASONS)),
        ]
    for user in rng.sample(candidates, min(3, len(candidates))):
        muted_at = now - rng.randint(5, 30) * DAY_MS
        user["mutes"][:0] = [
            history_entry("unmute", 2, muted_at + DAY_MS, None, ""),
            history_entry("mute", 2, muted_at, muted_at + 2 * DAY_MS, rng.choice(MUTE_REASONS)),
        ]


# /api/post-queue `customReasons`: the rejection reasons staff keep ready. Their shape is not in
# the spec; title and body are what the reject dialog shows.
POST_QUEUE_REASONS = (
    {"title": "Off-topic", "body": "Your post does not fit this category."},
    {"title": "Spam", "body": "Your post looks like advertising."},
)
