"""Test settings: the real settings, fed a throwaway environment.

Values go into os.environ (not just this module) so that worker subprocesses started by the
tests inherit exactly the same database, broker, cache and keyring.
"""

import os
import tempfile

from cryptography.fernet import Fernet

_var = os.environ.setdefault("FORUMDECK_VAR_DIR", tempfile.mkdtemp(prefix="forumdeck-test-"))
os.environ.setdefault("FORUMDECK_ENV_FILE", os.devnull)
os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-" + "x" * 40)
os.environ.setdefault("FORUMDECK_ENCRYPTION_KEYS", Fernet.generate_key().decode())
os.environ.setdefault("FORUMDECK_ALLOW_HTTP_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("FORUMDECK_TEST_DB", os.path.join(_var, "test.sqlite3"))
os.environ.setdefault("DJANGO_SECURE_COOKIES", "false")
# No forum is read behind a test's back: tests start the index's syncs themselves.
os.environ.setdefault("FORUMDECK_INDEX_AUTO_START", "false")
# Second factors are required only by the tests about them (they override this).
os.environ.setdefault("FORUMDECK_REQUIRE_2FA_ROLES", "")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault(
    "DJANGO_STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
)

from dashboard.settings import *  # noqa: E402,F403

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - WhiteNoise warns otherwise
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
