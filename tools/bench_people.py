"""People search across many forums, as a browser receives it (issue 15).

Sandbox Discourse forums are served on loopback by a process of their own (forums are other
machines: ``tools.bench_remote``), each answering every call after ``LATENCY_MS``; the search
is one GET through ``django.test.Client`` (signed in as the bench's moderator), and its
streamed body is read chunk by chunk with a timestamp for each:
one chunk is the page with every forum's line waiting, then one chunk per forum's answer (its
line and the table so far), then the page's end. Every figure is measured in the same run as
its baseline. What each figure means: docs/benchmarks.md, "People search that shows each
forum's answer as it arrives".
"""

from __future__ import annotations

import re
import socket
import statistics
import time
import warnings
from dataclasses import dataclass

from tools.bench import UNPACED_RPM, Bench, BenchError, LoadWatch

LATENCIES_MS = (50, 200, 500)  # every call to a sandbox forum, near to far; the worst counts
LATENCY_MS = 200  # the hanging-forum figures' latency
QUERY = "benchperson"
LINE = re.compile(r'<li id="people-forum-(\d+)" class="(waiting|ok|bad)"')


@dataclass
class Stream:
    """One streamed search: when each forum's line arrived (seconds from the request) and
    how it ended ("ok" or "bad"), and when the whole response had arrived."""

    arrived: dict[int, tuple[float, str]]
    complete_s: float

    def all_arrived_s(self, ids: list[int]) -> float:
        return max(self.arrived[pk][0] for pk in ids)


def _seed(app, n: int) -> None:
    """Three people on each forum: one person with an account everywhere (one e-mail, so the
    page groups the fleet's accounts as one person) and two only here."""
    app.add_person(username=f"{QUERY}_everywhere", email=f"{QUERY}@example.org", name="Everywhere")
    for k in range(2):
        app.add_person(username=f"{QUERY}_{n}_{k}", email=f"{QUERY}.{n}.{k}@example.org")


def _free_port() -> int:
    """A loopback port nobody listens on: connecting to it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Fleet:
    """``healthy`` sandbox forums at ``LATENCY_MS``, and optionally a dead one (connection
    refused) and a hanging one (answers after ``hang_s``, later than a call waits). The forums
    are served by a process of their own (``tools.bench_remote``): a real fleet's forums are
    other machines, whose work takes neither the dashboard's CPU time nor its interpreter lock,
    as the overview's figures are taken."""

    def __init__(self, bench: Bench, healthy: int, *, dead: bool = False, hang_s: float = 0):
        from forums.connections.services import connection_create
        from tools.bench_remote import RemoteFleet

        self.healthy: list[int] = []
        self.connections = []
        tag = f"{len(bench.figures)}-{healthy}-{int(dead)}-{int(hang_s > 0)}"
        self.fleet = RemoteFleet(
            healthy + (1 if hang_s else 0), users=60, per_window=UNPACED_RPM, seed="people"
        )
        self.sandboxes = self.fleet.sandboxes
        for n, sandbox in enumerate(self.sandboxes):
            hanging = hang_s and n == healthy
            sandbox.set_latency(hang_s * 1000 if hanging else LATENCY_MS)
            connection = bench.connection(
                sandbox, f"People {tag} {'hanging' if hanging else n}", UNPACED_RPM
            )
            self.connections.append(connection)
            if not hanging:
                self.healthy.append(connection.pk)
        self.hanging = self.connections[-1].pk if hang_s else None
        self.dead = None
        if dead:
            connection = connection_create(
                actor=bench.people()[1],
                name=f"People {tag} dead",
                platform="discourse",
                base_url=f"http://127.0.0.1:{_free_port()}",
                api_key="bench-dead-key-" + "0" * 24,
                api_username="system",
                requests_per_minute=UNPACED_RPM,
            )
            self.connections.append(connection)
            self.dead = connection.pk

    def set_latency(self, ms: float) -> None:
        """Every forum but the hanging one answers each call after ``ms``."""
        for sandbox, connection in zip(self.sandboxes, self.connections, strict=False):
            if connection.pk != self.hanging:
                sandbox.set_latency(ms)

    def stop(self) -> None:
        from forums.models import ForumConnection

        # Later measurements search every enabled forum: these leave with their sandboxes.
        ForumConnection.objects.filter(pk__in=[c.pk for c in self.connections]).update(
            enabled=False
        )
        self.fleet.stop()


def _search(client, fleet: _Fleet) -> Stream:
    """One new search of ``fleet``'s forums (the forum filter: other enabled forums in the
    bench's database are not asked), read chunk by chunk."""
    params = {"q": QUERY, "forum": [c.pk for c in fleet.connections]}
    started = time.monotonic()
    response = client.get("/forums/people/", params)
    if response.status_code != 200 or not response.streaming:
        raise BenchError(f"the people search answered {response.status_code}, not a stream")
    arrived: dict[int, tuple[float, str]] = {}
    for chunk in response.streaming_content:
        now = time.monotonic() - started
        for pk, state in LINE.findall(chunk.decode()):
            if state != "waiting":
                arrived[int(pk)] = (now, state)
    complete = time.monotonic() - started
    missing = [c.name for c in fleet.connections if c.pk not in arrived]
    if missing:
        raise BenchError(f"the stream ended without a line from {', '.join(missing)}")
    bad = [pk for pk in fleet.healthy if arrived[pk][1] != "ok"]
    if bad:
        raise BenchError(f"{len(bad)} healthy forums answered with an error")
    return Stream(arrived, complete)


def _client(bench: Bench):
    from django.test import Client

    client = Client(SERVER_NAME="localhost")
    client.force_login(bench.people()[0])
    return client


def measure_people_search(bench: Bench, quick: bool) -> None:
    """``people_search_20_over_1`` (the whole streamed answer, 20 forums vs 1) and
    ``people_search_hanging_over_healthy`` (18 healthy + 1 dead + 1 hanging: the time until
    the 18 healthy forums' lines arrived vs the time until 20 healthy forums' did)."""
    from django.conf import settings
    from django.test import override_settings

    # The shipped timeouts, not shortened: a call gives up after FORUMDECK_HTTP_TIMEOUT
    # seconds without a byte; the hanging forum answers two seconds later than that.
    timeout = float(settings.FORUMDECK_HTTP_TIMEOUT)
    runs = 1 if quick else 3
    # The bench never runs collectstatic: pages name static files as they are.
    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=plain_static), warnings.catch_warnings():
        # WhiteNoise warns that the (never collected) static folder is missing.
        warnings.filterwarnings("ignore", message="No directory at")
        client = _client(bench)
        one = _Fleet(bench, 1)
        twenty = _Fleet(bench, 20)
        mixed = _Fleet(bench, 18, dead=True, hang_s=timeout + 2)
        try:
            _search(client, one)  # warm: templates, the sandboxes' first connections
            _search(client, twenty)
            by_latency: dict[int, tuple[float, float]] = {}
            with LoadWatch() as load:
                for latency in LATENCIES_MS:
                    one.set_latency(latency)
                    twenty.set_latency(latency)
                    one_s, twenty_s = [], []
                    for _ in range(runs):
                        one_s.append(_search(client, one).complete_s)
                        twenty_s.append(_search(client, twenty).complete_s)
                    by_latency[latency] = (statistics.median(one_s), statistics.median(twenty_s))
            one.set_latency(LATENCY_MS)
            twenty.set_latency(LATENCY_MS)
            healthy_s, mixed_s, hang_s = [], [], []
            for _ in range(runs):
                stream = _search(client, twenty)
                healthy_s.append(stream.all_arrived_s(twenty.healthy))
                stream = _search(client, mixed)
                mixed_s.append(stream.all_arrived_s(mixed.healthy))
                hang_s.append(stream.arrived[mixed.hanging][0])
        finally:
            for fleet in (one, twenty, mixed):
                fleet.stop()
    median = statistics.median
    for latency, (one_l, twenty_l) in by_latency.items():
        bench.record(f"people_search_1_forum_at_{latency}ms_s", round(one_l, 3))
        bench.record(f"people_search_20_forums_at_{latency}ms_s", round(twenty_l, 3))
        bench.record(f"people_search_20_over_1_at_{latency}ms", round(twenty_l / one_l, 3))
    worst = max(by_latency, key=lambda k: by_latency[k][1] / by_latency[k][0])
    ratio = by_latency[worst][1] / by_latency[worst][0]
    bench.judge(
        "people_search_20_over_1",
        round(ratio, 3),
        "<= 1.5",
        baseline=(
            f"the same search of 1 forum, {by_latency[worst][0]:.2f} s (worst of "
            f"{', '.join(f'{k} ms' for k in LATENCIES_MS)} per call: {worst} ms)"
        ),
        checked=not quick,
        busy=load.busy,
    )
    bench.record("people_search_20_healthy_arrived_s", round(median(healthy_s), 3))
    bench.record("people_search_18_healthy_of_20_arrived_s", round(median(mixed_s), 3))
    ratio = median(mixed_s) / median(healthy_s)
    bench.record("people_search_hanging_over_healthy", round(ratio, 3))
    bench.goal("people_search_hanging_over_healthy", "<= 1.5", ratio <= 1.5, checked=not quick)
    bench.record("people_search_hanging_reported_s", round(median(hang_s), 3))
    bench.record("people_search_hanging_timeout_s", timeout)
