"""The overview at fleet scale: one streamed page for 20 forums against one for 1 forum.

Every forum is a sandbox Discourse answering each call after 50, 200 and 500 ms in turn
(``LATENCIES_MS``; the ratio at each is printed and the worst is ``overview_20_over_1``; the
other figures are taken at ``LATENCY_MS``), served by a process of its own
(``tools.bench_remote``: forums are other machines). The page is
served by a real threaded WSGI server on loopback and loaded as a browser loads it: ONE GET of
the overview, read to its last byte (every card filled in). Nothing is cached (the cache is
cleared before each load), so every forum gets a whole check. The design leaves no per-card
request; the fleet panel's own request (the browser starts it when the first fill arrives) is
measured beside it, not in the goal's figure, and so is the old way (one request per card,
six at a time) against the same forums, for comparison.
"""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path
from typing import Any

LATENCIES_MS = (50, 200, 500)  # per call: a forum next door, across a country, across the world
LATENCY_MS = 200  # the one the other overview figures are taken at


class _Site:
    """The dashboard on a loopback port, and a signed-in Viewer's cookie for it."""

    def __init__(self) -> None:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.core.wsgi import get_wsgi_application
        from django.test import Client
        from werkzeug.serving import make_server

        from forums.roles import VIEWER

        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise warns else
        self.server = make_server("127.0.0.1", 0, get_wsgi_application(), threaded=True)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        viewer, _ = get_user_model().objects.get_or_create(username="bench-viewer")
        viewer.groups.add(Group.objects.get(name=VIEWER))
        client = Client()
        client.force_login(viewer)
        self.cookies = {"sessionid": client.cookies["sessionid"].value}

    def load(self, *, with_fleet: bool = False) -> dict[str, float]:
        """Seconds until the page's first byte, its last byte, and (``with_fleet``) the fleet
        panel's answer, which the browser asks for when the page's first fill arrives."""
        import requests

        fleet: dict[str, Any] = {}

        def ask_fleet() -> None:
            response = requests.get(
                self.url + "/", cookies=self.cookies, timeout=60,
                headers={"HX-Request": "true", "HX-Target": "fleet-panel"},
            )  # fmt: skip
            response.raise_for_status()
            fleet["done"] = time.monotonic()

        started = time.monotonic()
        first = None
        asker = None
        with requests.get(self.url + "/", cookies=self.cookies, stream=True, timeout=60) as page:
            page.raise_for_status()
            for chunk in page.iter_content(chunk_size=None):
                if first is None:
                    first = time.monotonic()
                if with_fleet and asker is None and b"data-fill" in chunk:
                    asker = threading.Thread(target=ask_fleet)
                    asker.start()
        ended = time.monotonic()
        times = {"first_byte": first - started, "page": ended - started}
        if asker is not None:
            asker.join()
            times["with_fleet"] = max(ended, fleet["done"]) - started
        return times

    def load_card_by_card(self, ids: list[int]) -> float:
        """For comparison, the way the overview loaded before: one request per card, at most
        six at a time (a browser's connections per host). Seconds until the last card."""
        from concurrent.futures import ThreadPoolExecutor

        import requests

        def card(pk: int) -> None:
            url = f"{self.url}/forums/{pk}/card/"
            requests.get(url, cookies=self.cookies, timeout=60).raise_for_status()

        started = time.monotonic()
        with ThreadPoolExecutor(6) as browser:
            list(browser.map(card, ids))
        return time.monotonic() - started

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _fresh() -> None:
    from django.core.cache import cache

    cache.clear()


def measure_overview_scale(bench, quick: bool) -> None:
    """``overview_20_over_1``: the whole streamed overview with 20 forums over 1 forum."""
    from django.conf import settings
    from django.test import override_settings

    from forums.models import ForumConnection
    from tools.bench import UNPACED_RPM, LoadWatch
    from tools.bench_remote import RemoteFleet

    many = 4 if quick else 20
    runs = 1 if quick else 3
    fleet = RemoteFleet(many, users=60, per_window=UNPACED_RPM)  # forums are other machines
    sandboxes = fleet.sandboxes
    site = None
    # The bench never runs collectstatic: pages name their static files as they are.
    plain_static = override_settings(STORAGES={
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    })  # fmt: skip
    plain_static.enable()
    try:
        connections = [
            bench.connection(sandbox, f"Overview forum {i:02d}", UNPACED_RPM)
            for i, sandbox in enumerate(sandboxes)
        ]
        ids = [c.pk for c in connections]
        site = _Site()
        site.load()  # warm up: templates, imports, the server's threads

        def timed(count: int, *, with_fleet: bool = False) -> dict[str, float]:
            ForumConnection.objects.filter(pk__in=ids).update(enabled=False)
            ForumConnection.objects.filter(pk__in=ids[:count]).update(enabled=True)
            samples = []
            for _ in range(runs):
                _fresh()
                for sandbox in sandboxes:
                    sandbox.clear_calls()
                samples.append(site.load(with_fleet=with_fleet))
            return {k: statistics.median(s[k] for s in samples) for k in samples[0]}

        by_latency: dict[int, tuple[float, float]] = {}
        with LoadWatch() as load:
            for latency in LATENCIES_MS:
                for sandbox in sandboxes:
                    sandbox.set_latency(latency)
                by_latency[latency] = (timed(1)["page"], timed(many)["page"])
        for sandbox in sandboxes:
            sandbox.set_latency(LATENCY_MS)
        timed(1)
        calls_one = sandboxes[0].call_count()
        full = timed(many)
        calls = [s.call_count() for s in sandboxes]
        _fresh()
        by_card_one = site.load_card_by_card(ids[:1])
        _fresh()
        by_card_many = site.load_card_by_card(ids)
        one_fleet = timed(1, with_fleet=True)["with_fleet"]
        many_fleet = timed(many, with_fleet=True)["with_fleet"]
        # A second load within the card cache's life asks nobody; past it (refresh), only
        # the live parts are asked.
        ForumConnection.objects.filter(pk__in=ids).update(enabled=True)
        for sandbox in sandboxes:
            sandbox.clear_calls()
        site.load()
        cached_calls = sum(s.call_count() for s in sandboxes)
        from django.core.cache import cache

        cache.delete_many([k for k in _card_keys(ids)])
        site.load()
        live_calls = sum(s.call_count() for s in sandboxes) / many
    finally:
        plain_static.disable()
        if site is not None:
            site.stop()
        fleet.stop()
    name = f"overview_{many}_over_1"
    for latency, (one_s, many_s) in by_latency.items():
        bench.record(f"overview_1_forum_at_{latency}ms_s", round(one_s, 3))
        bench.record(f"overview_{many}_forums_at_{latency}ms_s", round(many_s, 3))
        bench.record(f"{name}_at_{latency}ms", round(many_s / one_s, 2))
    worst = max(by_latency, key=lambda k: by_latency[k][1] / by_latency[k][0])
    ratio = by_latency[worst][1] / by_latency[worst][0]
    bench.record(f"overview_{many}_forums_first_byte_s", round(full["first_byte"], 3))
    bench.judge(
        name,
        round(ratio, 2),
        "<= 2",
        baseline=(
            f"the same page with 1 forum, {by_latency[worst][0]:.2f} s (worst of "
            f"{', '.join(f'{k} ms' for k in LATENCIES_MS)} per call: {worst} ms)"
        ),
        checked=not quick,
        busy=load.busy,
    )
    bench.record("overview_page_requests", 1)
    bench.record("overview_calls_per_card_fresh", round(sum(calls) / many, 2))
    bench.record("overview_calls_per_card_live", round(live_calls, 2))
    bench.record("overview_calls_when_cached", cached_calls)
    bench.record(f"overview_with_fleet_{many}_over_1", round(many_fleet / one_fleet, 2))
    bench.record("overview_with_fleet_1_forum_s", round(one_fleet, 3))
    bench.record(f"overview_with_fleet_{many}_forums_s", round(many_fleet, 3))
    bench.record(f"overview_card_requests_{many}_over_1", round(by_card_many / by_card_one, 2))
    bench.goal("overview_calls_per_card_fresh", f"== {calls_one} (as for 1 forum)",
               all(c == calls_one for c in calls))  # fmt: skip
    bench.goal("overview_calls_when_cached", "== 0", cached_calls == 0)


def _card_keys(ids: list[int]) -> list[str]:
    """The cards' short-lived cache keys (the slow parts' longer ones are kept)."""
    from forums.connections.services import health_cache_key
    from forums.models import ForumConnection

    return [health_cache_key(c) for c in ForumConnection.objects.filter(pk__in=ids)]
