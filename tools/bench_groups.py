"""Group sync across two forums, counted call by call against the least the APIs need.

Two sandbox Discourse forums seeded alike (the same people, the same e-mails), a group of
``members`` plain accounts on the first and an empty group on the second. The sync goes the way
the page takes it: the preview (``group_sync_preview``, kept with ``remember_sync_preview``),
the proposal from that kept preview (``group_sync_propose``: no second preview), the plan and
the run by the real worker. Every call both sandboxes logged is counted.

The minimum is what the forum's APIs need at least for the same result, matching people by
e-mail as the page does: on the source, the group, its members 1,000 a page and their e-mails
100 a call (the admin list's ``filter`` takes at most 100 terms, ENDPOINTS.md "Rules" / user
list); on the target, the group, its members (one page: it is empty), the accounts by e-mail
100 a call, and the adds 1,000 a call. What each figure means: docs/benchmarks.md.
"""

from __future__ import annotations

import math

from tools.bench import (
    UNPACED_RPM,
    Bench,
    BenchError,
    add_empty_group,
    item_counts,
    plain_users,
    start_discourse,
)

PAGE, EMAILS, ADDS = 1000, 100, 1000  # group members a page; e-mails a call; adds a call


def minimum_calls(members: int) -> int:
    source = 1 + math.ceil(members / PAGE) + math.ceil(members / EMAILS)
    target = 1 + 1 + math.ceil(members / EMAILS) + math.ceil(members / ADDS)
    return source + target


def measure_group_sync(bench: Bench, quick: bool) -> None:
    """``group_sync_5000_calls_over_minimum`` (500 members in --quick)."""
    from forums.groups.selectors import group_sync_preview, remember_sync_preview
    from forums.groups.services import group_sync_propose

    members = 500 if quick else 5000
    users = members * 11 // 10 + 50
    source = start_discourse(users=users, per_window=UNPACED_RPM)
    target = start_discourse(users=users, per_window=UNPACED_RPM)
    try:
        people = plain_users(source.app, members)
        group = add_empty_group(source.app, "bench-sync-source")
        with source.app.lock:
            for user in people:
                source.app._add_member(group, user)  # as Group#add does on the forum
        empty = add_empty_group(target.app, "bench-sync-target")
        source_c = bench.connection(source, "Bench sync source", UNPACED_RPM)
        target_c = bench.connection(target, "Bench sync target", UNPACED_RPM)
        targets = [(target_c, empty["name"])]
        source.app.calls.clear()
        target.app.calls.clear()
        preview = group_sync_preview(source=source_c, source_key=group["name"], targets=targets)
        if preview.error or any(f.error for f in preview.forums):
            raise BenchError(f"group sync preview: {preview.error or preview.forums}")
        proposer = bench.people()[0]
        token = remember_sync_preview(preview, user_id=proposer.pk, targets=targets)
        preview_calls = source.app.calls.count() + target.app.calls.count()
        action = group_sync_propose(
            actor=proposer, source=source_c, source_key=group["name"], targets=targets,
            preview_token=token,
        )  # fmt: skip
        propose_calls = source.app.calls.count() + target.app.calls.count() - preview_calls
        action = bench.plan(action, timeout=300)
        plan_calls = target.app.calls.count() + source.app.calls.count()
        plan_calls -= preview_calls + propose_calls
        action = bench.approve_and_finish(action, timeout=300)
        total = source.app.calls.count() + target.app.calls.count()
        counts = item_counts(action)
        wanted = {u["username"] for u in people}
        added = sum(1 for uid in empty["members"] if target.app.users[uid]["username"] in wanted)
        if added != members or counts.get("done", 0) != members:
            raise BenchError(f"group sync: {added} of {members} added, items {counts}")
    finally:
        source.stop()
        target.stop()
    prefix = f"group_sync_{members}"
    least = minimum_calls(members)
    bench.record(f"{prefix}_preview_calls", preview_calls)
    bench.record(f"{prefix}_propose_calls", propose_calls)
    bench.record(f"{prefix}_plan_calls", plan_calls)
    bench.record(f"{prefix}_run_calls", total - preview_calls - propose_calls - plan_calls)
    bench.record(f"{prefix}_total_calls", total)
    bench.record(f"{prefix}_minimum_calls", least)
    bench.judge(
        f"{prefix}_calls_over_minimum",
        round(total / least, 3),
        "<= 1.3",
        baseline=f"the least the APIs need, e-mails 100 a call: {least} calls",
        # At 500 members the plan's fixed reads (the group, its members, the resolving
        # pages) weigh a third of the minimum; the goal is the 5,000-member figure's.
        checked=not quick,
    )
