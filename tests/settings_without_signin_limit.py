"""The test settings without allauth's failed sign-in limit, for a test whose web process
serves the same people signing in for minutes (tests/bulk/test_large_uploads.py)."""

from tests.settings import *  # noqa: F403

ACCOUNT_RATE_LIMITS = False
