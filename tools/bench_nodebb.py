"""NodeBB bulk lookups: API calls per target for a ban of many, plan and run counted together.

Used by ``tools.bench.run()``: a sandbox NodeBB of 2,500 users on loopback, a ban of 2,000 of
them proposed, planned and run by the real worker (``Bench.propose`` / ``plan`` /
``approve_and_finish``), every call counted from the sandbox's call log. The baseline is a
plain loop against a sandbox just like it: one lookup (``GET /api/user/username/{name}``) and
one ban per target. What each figure means: docs/benchmarks.md, "NodeBB lookups in bulk".
"""

from __future__ import annotations

from datetime import timedelta

from tools.bench import SANDBOX_KEY, UNPACED_RPM, Bench, BenchError, item_counts

FORUM_USERS = 2500
AGENT = "Forumdeck-bench/1.0"  # NodeBB takes python-requests/* for a spider (ENDPOINTS.md)


def start_nodebb(users: int = FORUM_USERS):
    from forums.sandbox.core import RunningSandbox
    from forums.sandbox.nodebb import NodeBBSandbox, NodeBBSandboxConfig

    return RunningSandbox(NodeBBSandbox(NodeBBSandboxConfig(api_key=SANDBOX_KEY, users=users)))


def nodebb_connection(bench: Bench, sandbox, name: str, rpm: int = UNPACED_RPM):
    """A NodeBB forum for the bench: a user token acting as uid 1, the sandbox's admin."""
    from forums.connections.services import connection_create

    return connection_create(
        actor=bench.people()[1],
        name=name,
        platform="nodebb",
        base_url=sandbox.url,
        api_key=SANDBOX_KEY,
        api_username="1",
        requests_per_minute=rpm,
    )


def bannable(app, count: int) -> list[dict]:
    """Users a ban changes: not administrators, not banned already."""
    admins = set(app.state.groups["administrators"]["members"])
    users = [
        u
        for uid, u in sorted(app.state.users.items())
        if uid not in admins and not app.ban_state(u)[0]
    ]
    if len(users) < count:
        raise BenchError(f"the NodeBB sandbox has {len(users)} bannable users, {count} needed")
    return users[:count]


def measure_nodebb_ban(bench: Bench, quick: bool) -> None:
    """Ban 2,000 of a forum's 2,500 users (200 in --quick): calls per target, plan + run."""
    from django.utils import timezone

    count = 200 if quick else 2000
    sandbox = start_nodebb().start()
    try:
        app = sandbox.app
        names = [u["username"] for u in bannable(app, count)]
        connection = nodebb_connection(bench, sandbox, "Bench NodeBB ban")
        until = (timezone.now() + timedelta(days=7)).isoformat()
        action = bench.plan(
            bench.propose(
                connection, "suspend", names, {"reason": "Forumdeck bench", "until": until}
            ),
            timeout=300,
        )
        plan_calls = app.calls.count()
        app.calls.clear()
        action = bench.approve_and_finish(action, timeout=600)
        run_calls = app.calls.count()
        counts = item_counts(action)
        wanted = set(names)
        banned = sum(1 for u in app.state.users.values() if u["username"] in wanted and u["banned"])
        if banned != count or counts.get("done", 0) != count:
            raise BenchError(f"NodeBB ban: {banned} of {count} banned, items {counts}")
        per_target = (plan_calls + run_calls) / count
        prefix = f"nodebb_ban_{count}"
        bench.record(f"{prefix}_plan_calls", plan_calls)
        bench.record(f"{prefix}_run_calls", run_calls)
        bench.record(f"{prefix}_calls_per_target", round(per_target, 3))
        bench.goal(f"{prefix}_calls_per_target", "<= 1.2", per_target <= 1.2)
    finally:
        sandbox.stop()
    bench.record(f"naive_nodebb_ban_{count}_calls_per_target", naive_nodebb_ban(count))


def naive_nodebb_ban(count: int) -> float:
    """One lookup (username -> uid) and one ban per target, as a plain script would send,
    against a sandbox NodeBB of the same size."""
    import requests

    sandbox = start_nodebb().start()
    try:
        app = sandbox.app
        names = [u["username"] for u in bannable(app, count)]
        with requests.Session() as session:
            session.headers.update({"Authorization": f"Bearer {SANDBOX_KEY}", "User-Agent": AGENT})
            for name in names:
                found = session.get(f"{sandbox.url}/api/user/username/{name}", timeout=10)
                found.raise_for_status()
                session.put(
                    f"{sandbox.url}/api/v3/users/{found.json()['uid']}/ban",
                    json={"until": 0, "reason": "naive benchmark"},
                    timeout=10,
                ).raise_for_status()
        wanted = set(names)
        if (
            sum(1 for u in app.state.users.values() if u["username"] in wanted and u["banned"])
            < count
        ):
            raise BenchError("the naive NodeBB loop did not ban every target")
        return round(app.calls.count() / count, 3)
    finally:
        sandbox.stop()
