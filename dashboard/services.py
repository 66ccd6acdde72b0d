from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

# When a worker last took a task (any task: beat's heartbeat makes sure there is one to take).
# A worker that merely runs is not enough: one whose pool is stuck still runs.
HEARTBEAT_KEY = "forumdeck:worker-heartbeat"


def worker_heartbeat_record() -> dict:
    beat = {"at": timezone.now().isoformat(), "host": socket.gethostname(), "pid": os.getpid()}
    cache.set(HEARTBEAT_KEY, beat, timeout=24 * 3600)
    return beat


def worker_last_heartbeat() -> datetime | None:
    beat = cache.get(HEARTBEAT_KEY)
    if not beat:
        return None
    return datetime.fromisoformat(beat["at"])


def worker_is_stale(*, heartbeat: datetime | None = None) -> bool:
    """No worker has taken a task for FORUMDECK_WORKER_STALE_SECONDS (or ever)."""
    heartbeat = heartbeat if heartbeat is not None else worker_last_heartbeat()
    if heartbeat is None:
        return True
    limit = timedelta(seconds=settings.FORUMDECK_WORKER_STALE_SECONDS)
    return timezone.now() - heartbeat > limit


# Backends that never deliver a message to anyone.
_NO_MAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


def password_reset_available() -> bool:
    """Password reset e-mails can reach someone: a real backend, and a host for SMTP."""
    backend = settings.EMAIL_BACKEND
    if backend in _NO_MAIL_BACKENDS:
        return False
    if backend == "django.core.mail.backends.smtp.EmailBackend":
        return bool(settings.EMAIL_HOST.strip())
    return True


# --- the first Admin's generated password -----------------------------------------------------
# ensure_admin writes it here (readable by the owner only) as well as printing it once, and
# `make run` shows it again after the worker's banners and at the end of the run, until the
# Admin changes it: a password printed once scrolls away under 60-90 lines of banners.
FIRST_ADMIN_FILENAME = "first-admin.txt"


def first_admin_file() -> Path:
    return Path(settings.VAR_DIR) / FIRST_ADMIN_FILENAME


def first_admin_write(*, username: str, password: str) -> Path:
    path = first_admin_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    # Created 0600 from the start: never readable by others, not even for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"username: {username}\npassword: {password}\n")
    return path


def first_admin_credentials() -> tuple[str, str] | None:
    """(username, password) while the generated password still signs in; once the Admin has
    changed it (or the account is gone) the file is deleted and this is None."""
    from django.contrib.auth import get_user_model

    path = first_admin_file()
    try:
        lines = dict(line.split(": ", 1) for line in path.read_text().splitlines() if ": " in line)
    except OSError:
        return None
    username, password = lines.get("username", ""), lines.get("password", "")
    user = get_user_model().objects.filter(username=username).first()
    if user is None or not password or not user.check_password(password):
        path.unlink(missing_ok=True)
        return None
    return username, password
