"""Write a fresh `.env` for the embedded defaults if there is none (never overwrites one).

Run as ``python -m dashboard.envfile [path]`` before Django starts: the settings need the
secrets this writes.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet

TEMPLATE = """\
# Written by `make run` on first start. Keep it secret; never commit it.
# Every variable is described in .env.example.
DJANGO_SECRET_KEY={secret_key}
# Fernet keys that encrypt forum API keys, newest first. Back this up: without it the stored
# API keys cannot be decrypted. Rotate with `python manage.py rotate_encryption_keys`.
FORUMDECK_ENCRYPTION_KEYS={encryption_key}
DJANGO_DEBUG=false
DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
# Served over plain http on this machine only.
DJANGO_SECURE_COOKIES=false
# Local test forums (the demo sandboxes) may be reached over plain http.
FORUMDECK_ALLOW_HTTP_HOSTS=127.0.0.1,localhost
"""


def write_env(path: Path) -> bool:
    if path.exists():
        return False
    path.write_text(
        TEMPLATE.format(
            secret_key=secrets.token_urlsafe(50),
            encryption_key=Fernet.generate_key().decode(),
        )
    )
    path.chmod(0o600)
    return True


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else ".env")
    if write_env(path):
        print(f"Wrote {path} with a new secret key and encryption key. Back it up.")
    else:
        print(f"{path} exists; left as it is.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
