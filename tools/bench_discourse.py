"""Discourse figures of ``python -m tools.bench``: pydiscourse itself as the baseline of a
group add, the time and memory of the web request that proposes 100,000 targets, and the
worker's memory while it parses a 100,000-line upload and suspends 100,000 users.

Each ``measure_*(bench, quick)`` uses tools.bench's sandbox, worker and ``Bench``; what each
figure means and the numbers we got: docs/benchmarks.md ("Discourse: ...").
"""

from __future__ import annotations

import contextlib
import statistics
import threading
import time
from datetime import timedelta

from tools.bench import (
    SANDBOX_KEY,
    UNPACED_RPM,
    Bench,
    BenchError,
    MemorySampler,
    add_empty_group,
    busy_now,
    count_label,
    item_counts,
    plain_users,
    start_discourse,
    status_kb,
    wait_for,
)


# --- pydiscourse, the baseline of a group add ------------------------------------------------
def measure_pydiscourse_group_add(bench: Bench, quick: bool) -> None:
    """pydiscourse's own calls to add 2,000 users to a group, from the sandbox's call log: its
    batch call (``add_group_members``, which Discourse refuses above 1,000 users, so a script
    sends 1,000 a call) and a per-user loop (``add_group_member``). Loopback only."""
    from pydiscourse import DiscourseClient
    from pydiscourse.exceptions import DiscourseClientError

    count = 2000
    loop_count = 200 if quick else count
    sandbox = start_discourse(users=count * 11 // 10 + 50, per_window=UNPACED_RPM)
    try:
        app = sandbox.app
        client = DiscourseClient(sandbox.url, api_username="system", api_key=SANDBOX_KEY,
                                 timeout=10)  # fmt: skip
        # The batch call, as its docstring offers it: every name in one call.
        group = add_empty_group(app, "pydiscourse-batch")
        names = [u["username"] for u in plain_users(app, count)]
        app.calls.clear()
        gid = client.group(group["name"])["group"]["id"]
        try:
            client.add_group_members(gid, names)
            one_call = 200
        except DiscourseClientError as exc:  # ENDPOINTS.md: over 1,000 users is 422
            one_call = exc.response.status_code if exc.response is not None else 0
        # What a working script then sends: 1,000 names a call.
        for start in range(0, count, 1000):
            client.add_group_members(gid, names[start : start + 1000])
        calls = app.calls.count()
        if len(group["members"]) != count:
            raise BenchError(f"pydiscourse added {len(group['members'])} of {count}")
        bench.record(f"pydiscourse_group_add_{count}_calls", calls - 1)  # the refused call aside
        bench.record(f"pydiscourse_group_add_{count}_one_call_status", one_call)

        # The per-user loop: one PUT per name (the group's id looked up once).
        loop_group = add_empty_group(app, "pydiscourse-loop")
        app.calls.clear()
        gid = client.group(loop_group["name"])["group"]["id"]
        for name in names[:loop_count]:
            client.add_group_member(gid, name)
        if len(loop_group["members"]) != loop_count:
            raise BenchError("the pydiscourse loop did not add every member")
        bench.record(f"pydiscourse_loop_group_add_{loop_count}_calls", app.calls.count())
    finally:
        sandbox.stop()


# --- proposing from the web ------------------------------------------------------------------
class _SelfSampler:
    """Peak VmRSS of this (the web) process while a request runs, every 5 ms."""

    def __init__(self) -> None:
        self.before = status_kb_self()
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, status_kb_self())
            self._stop.wait(0.005)

    def __enter__(self) -> _SelfSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.peak = max(self.peak, status_kb_self())


def status_kb_self() -> int:
    import os

    return status_kb(os.getpid(), "VmRSS")


def _csv(names: list[str]) -> bytes:
    return ("username\n" + "\n".join(names) + "\n").encode()


def measure_propose(bench: Bench, quick: bool) -> None:
    """The web request that proposes N targets from an uploaded CSV (django.test.Client POST
    of the bulk form, as a browser sends it): its time for 100,000 targets over 1,000, and how
    much the web process's memory grew during it. Each proposal is cancelled at once, so the
    worker does not plan it."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
    from django.urls import reverse

    from forums.bulk.services import bulk_action_cancel
    from forums.models import BulkAction

    small, big = (1_000, 20_000) if quick else (1_000, 100_000)
    sandbox = start_discourse(users=50, per_window=UNPACED_RPM)
    try:
        connection = bench.connection(sandbox, "Bench propose", UNPACED_RPM)
        proposer, approver = bench.people()
        web = Client(HTTP_HOST="127.0.0.1")
        web.force_login(proposer)
        url = reverse("forums:bulk-create")

        def propose(count: int) -> tuple[float, int]:
            body = _csv([f"user_{i:06d}" for i in range(count)])
            upload = SimpleUploadedFile("targets.csv", body, content_type="text/csv")
            data = {"connections": [connection.pk], "kind": "suspend", "csv_file": upload,
                    "reason": "Forumdeck benchmark", "until": "7d"}  # fmt: skip
            # The browser's multipart body, encoded before the clock starts: only the request
            # (middleware, parsing the upload, the form, storing it, queueing the plan) counts.
            encoded = encode_multipart(BOUNDARY, data)
            with _SelfSampler() as memory:
                started = time.perf_counter()
                response = web.generic("POST", url, encoded, MULTIPART_CONTENT)
                took = time.perf_counter() - started
            if response.status_code != 302:
                raise BenchError(f"proposing {count} targets answered {response.status_code}")
            action = BulkAction.objects.order_by("-pk").first()
            bulk_action_cancel(actor=proposer, action=action)
            return took, memory.peak - memory.before

        propose(small)  # warm up: templates, the form, the first queries
        # Interleaved, and the best of each size compared: a few milliseconds either way, so
        # one pause of the shared machine would otherwise decide the ratio. The medians are
        # printed beside them.
        runs: dict[int, list[tuple[float, int]]] = {small: [], big: []}
        for _ in range(7):
            for n in (small, big):
                runs[n].append(propose(n))
        times = {n: min(t for t, _ in r) for n, r in runs.items()}
        medians = {n: statistics.median(t for t, _ in r) for n, r in runs.items()}
        growth_mb = max(kb for _, kb in runs[big]) / 1024
        ratio = times[big] / times[small]
        label = f"propose_{count_label(big)}_over_{count_label(small)}"
        bench.record(f"propose_{count_label(small)}_request_s", round(times[small], 4))
        bench.record(f"propose_{count_label(big)}_request_s", round(times[big], 4))
        bench.record(f"{label}_medians", round(medians[big] / medians[small], 2))
        bench.record(f"propose_{count_label(big)}_rss_growth_mb", round(growth_mb, 1))
        bench.judge(
            label,
            round(ratio, 2),
            "<= 2",
            baseline=f"the same request with {count_label(small)} targets, {times[small]:.4f} s",
            checked=not quick,
            busy=busy_now(),
        )
        # Let the worker see the cancellations before the next measurement.
        wait_for(
            lambda: (
                not BulkAction.objects.filter(
                    state__in=[BulkAction.State.PLANNING, BulkAction.State.QUEUED]
                ).exists()
            ),
            timeout=120,
            what="the cancelled proposals to settle",
            worker=bench.worker,
        )
    finally:
        sandbox.stop()


# --- the worker's memory: parsing an upload, then a 100,000-user suspend ---------------------
def measure_suspend_memory(bench: Bench, quick: bool) -> None:
    """Peak RSS of the worker tree while it parses a stored 100,000-line CSV (the proposal
    step), then plans a suspend of those users and runs its first 10,000 sends."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from forums.bulk.services import (
        BulkActionError,
        bulk_action_approve,
        bulk_action_cancel,
        bulk_action_propose,
    )
    from forums.models import BulkAction, BulkActionItem

    targets = 500 if quick else 100_000
    sandbox = start_discourse(users=max(targets, 1000), per_window=UNPACED_RPM)
    try:
        app = sandbox.app
        names = [u["username"] for u in app.users.values() if u["id"] > 0][:targets]
        connection = bench.connection(sandbox, "Bench suspend memory", UNPACED_RPM)
        label = f"worker_rss_mb_{count_label(targets)}"
        until = (timezone.now() + timedelta(days=7)).isoformat()
        upload = SimpleUploadedFile("targets.csv", _csv(names), content_type="text/csv")
        with MemorySampler(bench.worker.pid) as sampler:
            started = time.monotonic()
            action = bulk_action_propose(
                actor=bench.people()[0], kind="suspend", connections=[connection],
                params={"reason": "Forumdeck benchmark", "until": until}, csv_file=upload,
            )  # fmt: skip
            # The proposal step: the planning task reads the stored upload into items.
            wait_for(
                lambda: BulkActionItem.objects.filter(action=action).count() >= targets,
                timeout=600,
                what="the upload to be parsed",
                worker=bench.worker,
                interval=0.2,
            )
            parsed_in = time.monotonic() - started
            proposal_peak = sampler.peak_mb
            action = bench.plan(action, timeout=900)
            planned_in = time.monotonic() - started
            plan_peak = sampler.peak_mb
            # The run holds one chunk of 1,000 items at a time (the group add's figure covers a
            # whole 100,000-item run): its first SENDS items show its memory; it is then
            # cancelled, which also measures stopping a big run.
            bulk_action_approve(actor=bench.people()[1], action=action,
                                plan_hash=action.plan_hash)  # fmt: skip
            sends = min(targets, 10_000)
            wait_for(
                lambda: (
                    BulkActionItem.objects.filter(action=action, state="done").count()
                    >= sends * 0.9
                ),
                timeout=1800,
                what=f"{sends} suspensions",
                worker=bench.worker,
                interval=0.5,
            )
            # A small run (--quick) may have ended before the cancel: nothing left to stop.
            with contextlib.suppress(BulkActionError):
                bulk_action_cancel(actor=bench.people()[0], action=action)
            action = bench.wait_state(
                action,
                {BulkAction.State.CANCELLED, BulkAction.State.SUCCEEDED,
                 BulkAction.State.PARTIAL},
                timeout=600,
                what="the suspend to stop",
            )  # fmt: skip
            total = time.monotonic() - started
        counts = item_counts(action)
        done = counts.get("done", 0)
        # The plan skips staff and the already suspended (Discourse refuses to suspend staff):
        # no item may fail.
        if done < sends * 0.9 or counts.get("failed", 0):
            raise BenchError(f"suspend memory run: items {counts}")
        bench.record(f"{label}_suspend_while_planning", round(plan_peak, 1))
        bench.record(f"memory_{count_label(targets)}_suspend_plan_s", round(planned_in, 1))
        bench.record(f"{label}_proposal", round(proposal_peak, 1))
        bench.record(f"{label}_suspend", round(sampler.peak_mb, 1))
        bench.record(f"memory_{count_label(targets)}_parse_s", round(parsed_in, 1))
        bench.record(f"memory_{count_label(targets)}_suspend_s", round(total, 1))
        bench.record(f"memory_{count_label(targets)}_suspended", done)
        for name, value in (
            (f"{label}_proposal", proposal_peak),
            (f"{label}_suspend", sampler.peak_mb),
        ):
            bench.goal(name, "<= 250", value <= 250, checked=not quick)
    finally:
        sandbox.stop()
