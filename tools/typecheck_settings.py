"""Settings for mypy's Django plugin: the real settings, fed placeholder secrets.

The plugin imports the settings to learn the installed apps and models. A fresh clone has no
`.env` yet, so the required secrets get throwaway values here (never used to serve or encrypt
anything: mypy only reads the model definitions). Values already in the environment win.
"""

import os

os.environ.setdefault("FORUMDECK_ENV_FILE", os.devnull)
os.environ.setdefault("DJANGO_SECRET_KEY", "typecheck-only-" + "x" * 40)
# A well-formed Fernet key (32 zero bytes, urlsafe base64); nothing is encrypted with it.
os.environ.setdefault("FORUMDECK_ENCRYPTION_KEYS", "A" * 43 + "=")

from dashboard.settings import *  # noqa: E402,F403
