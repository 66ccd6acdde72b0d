#!/bin/sh
# Forumdeck's one entry point: the Docker image runs it, and so can a plain checkout.
#
#   web          gunicorn (gthread) on 0.0.0.0:${PORT:-8000}, access log on stdout
#   worker       Celery worker
#   beat         Celery beat (schedules kept in the database: django-celery-beat)
#   migrate      migrate, createcachetable, ensure_admin (safe to run on every start)
#   check        manage.py check --deploy --fail-level WARNING
#   healthcheck  [web|worker|beat] exit 0 when the process answers (role guessed from PID 1)
#   manage ...   manage.py ...
#   anything else is exec'd as-is (e.g. `sh`)
#
# Tuning (read here, not by settings.py): PORT, WEB_CONCURRENCY, GUNICORN_THREADS,
# GUNICORN_TIMEOUT, CELERY_WORKER_CONCURRENCY; PYTHON picks the interpreter (default: python,
# else python3, from PATH). gunicorn also honours GUNICORN_CMD_ARGS for anything not covered here.
set -eu

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$ROOT"

# A venv's or the image's `python` first; plain Debian hosts only have `python3`.
if [ -z "${PYTHON:-}" ]; then
    PYTHON=python
    command -v python >/dev/null 2>&1 || PYTHON=python3
fi
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "entrypoint: '$PYTHON' not found; set PYTHON=/path/to/python" >&2
    exit 127
fi

manage() {
    "$PYTHON" manage.py "$@"
}

usage() {
    sed -n '2,15p' "$ROOT/docker/entrypoint.sh" | sed 's/^# \{0,1\}//' >&2
}

# Which long-running process is PID 1 in this container, for the image-wide HEALTHCHECK.
detect_role() {
    cmdline=$(tr '\0' ' ' </proc/1/cmdline 2>/dev/null || true)
    # PID 1 is gunicorn/celery itself, or docker-init running "entrypoint.sh ROLE".
    case " $cmdline " in
        *gunicorn* | *"entrypoint.sh web "*) echo web ;;
        *" beat "*) echo beat ;;
        *" worker "*) echo worker ;;
        *) echo none ;;
    esac
}

node_name() {
    # Celery's %h is socket.gethostname(); `hostname` is not in every slim image.
    echo "$1@$("$PYTHON" -c 'import socket; print(socket.gethostname())')"
}

# An empty value (a .env line left blank) would get past settings.py's "required" check, since
# the variable exists; stop here with a message instead of failing on the first request.
require_secrets() {
    for name in DJANGO_SECRET_KEY FORUMDECK_ENCRYPTION_KEYS; do
        eval "value=\${$name-unset}"
        if [ -z "$value" ]; then
            echo "entrypoint: $name is empty; generate it as .env.example shows" >&2
            exit 78
        fi
    done
}

if [ $# -eq 0 ]; then
    usage
    exit 64
fi

cmd=$1
shift

# gunicorn workers when WEB_CONCURRENCY is not set: one per core and one more, at most 6. A
# worker's threads wait on forums side by side, but its Python runs one thread at a time (the
# GIL), so only processes spread page work over every core; the extra one keeps the cores busy
# while another worker is between requests. Matches runstack's default_web_workers().
default_web_workers() {
    cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
    workers=$((cores + 1))
    [ "$workers" -gt 6 ] && workers=6
    echo "$workers"
}

case $cmd in
    web | worker | beat | migrate | check) require_secrets ;;
esac

case $cmd in
    web)
        # gthread: a request that waits on a slow forum holds one thread, never the worker,
        # and gunicorn's worker timeout does not kill it.
        set -- --bind "0.0.0.0:${PORT:-8000}" \
            --worker-class gthread \
            --workers "${WEB_CONCURRENCY:-$(default_web_workers)}" \
            --threads "${GUNICORN_THREADS:-8}" \
            --timeout "${GUNICORN_TIMEOUT:-60}" \
            --graceful-timeout 30 \
            --keep-alive 5 \
            --max-requests 2000 --max-requests-jitter 200 \
            --access-logfile - --error-logfile - \
            --logger-class dashboard.gunicorn_logging.RedactingLogger \
            "$@"
        # Keep the worker heartbeat file off overlay/slow disks when /dev/shm exists.
        if [ -d /dev/shm ] && [ -w /dev/shm ]; then
            set -- --worker-tmp-dir /dev/shm "$@"
        fi
        exec "$PYTHON" -m gunicorn "$@" dashboard.wsgi:application
        ;;
    worker)
        # Without an explicit concurrency Celery starts one process per host CPU, which in a
        # container is the host's count, not the container's share.
        exec "$PYTHON" -m celery -A dashboard worker \
            --hostname 'worker@%h' \
            --concurrency "${CELERY_WORKER_CONCURRENCY:-2}" \
            --loglevel "${FORUMDECK_LOG_LEVEL:-INFO}" \
            --without-gossip --without-mingle \
            "$@"
        ;;
    beat)
        # The schedules live in the database (CELERY_BEAT_SCHEDULER in settings): run
        # `migrate` first, as for web and worker.
        exec "$PYTHON" -m celery -A dashboard beat \
            --loglevel "${FORUMDECK_LOG_LEVEL:-INFO}" \
            "$@"
        ;;
    migrate)
        manage migrate --noinput "$@"
        # Only does something when CACHE_URL names a database cache; harmless otherwise.
        manage createcachetable
        manage ensure_admin
        ;;
    check)
        exec "$PYTHON" manage.py check --deploy --fail-level WARNING "$@"
        ;;
    manage)
        exec "$PYTHON" manage.py "$@"
        ;;
    healthcheck)
        role=${1:-$(detect_role)}
        case $role in
            web)
                exec "$PYTHON" - <<'EOF'
import http.client
import os
import sys

# An allowed Host avoids a DisallowedHost error in the log on every probe; the forwarded
# scheme avoids the HTTPS redirect when DJANGO_BEHIND_PROXY is on. Any answer below 500
# means gunicorn and Django are serving.
hosts = [h.strip().lstrip(".") for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")]
host = next((h for h in hosts if h and h != "*"), "localhost")
try:
    conn = http.client.HTTPConnection("127.0.0.1", int(os.environ.get("PORT", "8000")), timeout=5)
    conn.request("GET", "/accounts/login/", headers={"Host": host, "X-Forwarded-Proto": "https"})
    status = conn.getresponse().status
except OSError as exc:
    sys.exit(f"web: {exc}")
sys.exit(0 if status < 500 else f"web: HTTP {status}")
EOF
                ;;
            worker)
                # Needs remote control, which is on for Redis (off for the filesystem broker).
                exec "$PYTHON" -m celery -A dashboard inspect ping \
                    --destination "$(node_name worker)" --timeout 10
                ;;
            beat)
                # Beat writes when it last sent each task into the database while it ticks.
                exec "$PYTHON" manage.py beat_health
                ;;
            none)
                exit 0
                ;;
            *)
                echo "entrypoint: healthcheck takes web, worker or beat, not '$role'" >&2
                exit 64
                ;;
        esac
        ;;
    -h | --help | help)
        usage
        ;;
    *)
        exec "$cmd" "$@"
        ;;
esac
