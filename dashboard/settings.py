"""Forumdeck settings.

Everything that differs between machines comes from the environment (or `.env`), read once
through django-environ. Required production secrets have no default, so a misconfigured server
fails at boot rather than running with a guessable key.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
ENV_FILE = env.str("FORUMDECK_ENV_FILE", default=str(BASE_DIR / ".env"))
if Path(ENV_FILE).is_file():
    env.read_env(ENV_FILE)

# Where the embedded defaults keep their state (SQLite, broker folders, cache, static files).
VAR_DIR = Path(env.str("FORUMDECK_VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env.str("DJANGO_SECRET_KEY")
if not SECRET_KEY.strip():
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is empty: set a long random value.")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "axes",
    # Sign-in (local passwords, the organisation's OpenID Connect provider) and second factors.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "csp",
    "django_celery_beat",
    "dashboard",
    "forums",
]

MIDDLEWARE = [
    "dashboard.middleware.ForumdeckHeaderMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # django-allauth's sign-in stages (the second factor after the password) and
    # "confirm it's you" redirects.
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dashboard.middleware.TimezoneMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboard.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file: wait for locks instead of failing at once,
    # and let readers run beside the writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    test_name = env.str("FORUMDECK_TEST_DB", default="")
    if test_name:
        # Worker subprocesses in the tests must see the test database, so it lives in a file.
        DATABASES["default"]["TEST"] = {"NAME": test_name}

CACHES = {
    # Shared between web, worker and beat processes: a file cache on one machine, Redis (or
    # anything django-environ understands) when CACHE_URL says so.
    "default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}"),
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"

# --- Sign-in throttling (django-axes): every form that signs in goes through authenticate(),
# the sign-in page (django-allauth's login calls it) and the Django admin's (which sends
# people to the sign-in page) alike, so both are covered by the backend.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Counted per username, whatever the address: guessing from many addresses is stopped too,
# and behind a proxy (one address for everyone) one person's typos lock nobody else out.
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_FAILURE_LIMIT = env.int("FORUMDECK_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("FORUMDECK_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dashboard.views.signin_locked_out"
# Failed attempts are kept (visible to Admins in People & roles); successful sign-ins are not.
AXES_DISABLE_ACCESS_LOG = True

# --- Sign-in pages and second factors (django-allauth) ----------------------------------------
# Local accounts sign in by username and password; Admins create them (no sign-up form).
# Accounts of people who sign in through the organisation's identity provider are created at
# their first sign-in (see FORUMDECK_OIDC_* below and forums.accounts.oidc).
ACCOUNT_ADAPTER = "forums.accounts.signin.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "forums.accounts.oidc.SocialAccountAdapter"
ACCOUNT_FORMS = {"login": "forums.accounts.signin.SignInForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["email", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
# An identity provider's person is never merged into a local account because an e-mail
# address matches: the two stay separate accounts, each with its own history.
ACCOUNT_UNIQUE_EMAIL = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
# Sessions last as Django's do (SESSION_COOKIE_AGE), as they did before allauth.
ACCOUNT_SESSION_REMEMBER = True
# "Confirm it's you" before changing second factors: the password, or a second factor. Never an
# e-mailed code (mail is optional here).
ACCOUNT_REAUTHENTICATION_METHODS = ("password", "mfa")
# django-axes locks a username after FORUMDECK_LOGIN_FAILURE_LIMIT wrong passwords; allauth's
# own counter (which also counts wrong second-factor codes, per account) stays looser so the
# lockout page is what a person sees.
ACCOUNT_RATE_LIMITS = {"login_failed": "30/m/ip,10/15m/key"}

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = env.str("FORUMDECK_TOTP_ISSUER", default="Forumdeck")
# One 30-second step either side: a phone's clock a little off still works.
MFA_TOTP_TOLERANCE = 1
# Security keys and passkeys (WebAuthn, as a second factor). The browser binds each key to this
# site's host name; the server checks the page's origin is https, except where the site is
# served over plain http on purpose (DJANGO_SECURE_COOKIES=false: `make run` on 127.0.0.1).
# Set after the security section below reads DJANGO_SECURE_COOKIES.
# Accounts with any of these roles need a second factor before they approve a bulk action,
# confirm an account change, or administer (connections, People & roles). Empty: nobody.
FORUMDECK_REQUIRE_2FA_ROLES = env.list("FORUMDECK_REQUIRE_2FA_ROLES", default=["Approver", "Admin"])
# An approval or confirmation asks for the second factor again when this session's last one
# is older than this.
FORUMDECK_2FA_RECENT_SECONDS = env.int("FORUMDECK_2FA_RECENT_SECONDS", default=300)

# The organisation's OpenID Connect provider (Google Workspace, Microsoft Entra ID, Keycloak,
# Authentik, GitLab...). Unset: local accounts only. The redirect URI to register there is
# https://<this site>/accounts/oidc/<FORUMDECK_OIDC_PROVIDER_ID>/login/callback/
FORUMDECK_OIDC_SERVER_URL = env.str("FORUMDECK_OIDC_SERVER_URL", default="")
FORUMDECK_OIDC_PROVIDER_ID = env.str("FORUMDECK_OIDC_PROVIDER_ID", default="sso")
FORUMDECK_OIDC_NAME = env.str("FORUMDECK_OIDC_NAME", default="your organisation")
# The claim (in the userinfo answer or the ID token) that lists the person's groups, and which
# group gives which role ("forum-admins=Admin,mods=Moderator"). Without both, an Admin assigns
# roles in People & roles; with both, every sign-in sets the roles from the groups.
FORUMDECK_OIDC_GROUPS_CLAIM = env.str("FORUMDECK_OIDC_GROUPS_CLAIM", default="")
FORUMDECK_OIDC_ROLE_MAP = env.dict("FORUMDECK_OIDC_ROLE_MAP", default={})
_ROLES = {"Viewer", "Moderator", "Approver", "Admin"}
for _name, _given in (
    ("FORUMDECK_REQUIRE_2FA_ROLES", FORUMDECK_REQUIRE_2FA_ROLES),
    ("FORUMDECK_OIDC_ROLE_MAP", FORUMDECK_OIDC_ROLE_MAP.values()),
):
    if set(_given) - _ROLES:
        raise ImproperlyConfigured(
            f"{_name} names {', '.join(sorted(set(_given) - _ROLES))}: the roles are "
            "Viewer, Moderator, Approver and Admin."
        )
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, Any]] = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [],
    }
}
if FORUMDECK_OIDC_SERVER_URL:
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"].append(
        {
            "provider_id": FORUMDECK_OIDC_PROVIDER_ID,
            "name": FORUMDECK_OIDC_NAME,
            # Required once a server is set: a half-configured provider fails at boot.
            "client_id": env.str("FORUMDECK_OIDC_CLIENT_ID"),
            "secret": env.str("FORUMDECK_OIDC_CLIENT_SECRET"),
            "settings": {
                "server_url": FORUMDECK_OIDC_SERVER_URL,
                "scope": env.list("FORUMDECK_OIDC_SCOPES", default=["openid", "profile", "email"]),
            },
        }
    )

# --- Mail: only for password reset. Without a mail server there is no reset link or page,
# rather than a form that promises an e-mail nobody sends.
# EMAIL_URL like smtp+tls://user:password@smtp.example.com:587 (django-environ's format).
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    globals().update(env.email_url_config(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    EMAIL_HOST = ""
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="forumdeck@localhost")

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "DJANGO_STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not SESSION_COOKIE_SECURE
# Scripts never read the token from the cookie: htmx sends it from the page (base.html).
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles and everything else from this site
# only, no CDN; an inline <script> or <style> needs the request's nonce
# (``nonce="{{ request.csp_nonce }}"``), and inline style attributes and event handlers are
# refused, so injected markup cannot run or restyle anything. htmx's own indicator <style> is
# turned off in base.html and lives in site.css.
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if FORUMDECK_OIDC_SERVER_URL:
    # "Sign in with ..." posts here and is sent on to the provider's sign-in page, which
    # form-action governs too (the provider's pages live where its discovery document does).
    from urllib.parse import urlsplit as _urlsplit

    _idp = _urlsplit(FORUMDECK_OIDC_SERVER_URL)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(f"{_idp.scheme}://{_idp.netloc}")
if env.bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = [
    *env.list("DJANGO_SILENCED_SYSTEM_CHECKS", default=[]),
    # axes warns when lockouts ignore the address, as user-agent or cookie counting could be
    # dodged; counting per username cannot (see AXES_LOCKOUT_PARAMETERS).
    "axes.W006",
]

# --- Forumdeck --------------------------------------------------------------------------------
# Fernet keys, newest first. Independent of SECRET_KEY so either can rotate on its own.
FORUMDECK_ENCRYPTION_KEYS = env.list("FORUMDECK_ENCRYPTION_KEYS")
# Hosts that may be reached over plain http (loopback for the demo and the tests).
FORUMDECK_ALLOW_HTTP_HOSTS = env.list("FORUMDECK_ALLOW_HTTP_HOSTS", default=[])
# Forums on your own network (host names, IPs or CIDR networks): only globally routable
# addresses are reached otherwise. Hosts allowed plain http above count as listed here too.
FORUMDECK_ALLOW_PRIVATE_HOSTS = env.list("FORUMDECK_ALLOW_PRIVATE_HOSTS", default=[])
FORUMDECK_HTTP_TIMEOUT = env.float("FORUMDECK_HTTP_TIMEOUT", default=10.0)
# The whole call, answer included: a forum trickling its answer byte by byte ends here.
FORUMDECK_HTTP_DEADLINE = env.float("FORUMDECK_HTTP_DEADLINE", default=FORUMDECK_HTTP_TIMEOUT + 5.0)
# The largest answer read from a forum (after decompression); larger ones are refused unread.
FORUMDECK_MAX_RESPONSE_BYTES = env.int("FORUMDECK_MAX_RESPONSE_BYTES", default=5 * 1024 * 1024)
FORUMDECK_MAX_JSON_DEPTH = env.int("FORUMDECK_MAX_JSON_DEPTH", default=64)
FORUMDECK_HEALTH_CACHE_SECONDS = env.int("FORUMDECK_HEALTH_CACHE_SECONDS", default=60)
# The parts of a health check that change rarely (version, site title, user count, optional
# routes) are kept this long; a card's refresh asks only the live parts meanwhile.
FORUMDECK_HEALTH_DETAILS_CACHE_SECONDS = env.int(
    "FORUMDECK_HEALTH_DETAILS_CACHE_SECONDS", default=3600
)
# A forum whose newest backup is older than this is stale (a forum's own threshold wins).
FORUMDECK_BACKUP_STALE_HOURS = env.int("FORUMDECK_BACKUP_STALE_HOURS", default=26)
# How long a forum's backup list and calendar events are reused before asking again.
FORUMDECK_BACKUP_CACHE_SECONDS = env.int("FORUMDECK_BACKUP_CACHE_SECONDS", default=60)
FORUMDECK_CALENDAR_CACHE_SECONDS = env.int("FORUMDECK_CALENDAR_CACHE_SECONDS", default=120)
# Each forum's last backup list read, shown (marked) on the Backups list when the forum fails or
# does not answer within FORUMDECK_INDEX_LIVE_WAIT_SECONDS.
FORUMDECK_BACKUP_LAST_KNOWN_SECONDS = env.int(
    "FORUMDECK_BACKUP_LAST_KNOWN_SECONDS", default=7 * 24 * 3600
)
# Each forum's last known events for a window the calendar asked for, shown (marked) when the
# forum fails or does not answer within FORUMDECK_INDEX_LIVE_WAIT_SECONDS.
FORUMDECK_CALENDAR_LAST_KNOWN_SECONDS = env.int(
    "FORUMDECK_CALENDAR_LAST_KNOWN_SECONDS", default=7 * 24 * 3600
)
FORUMDECK_APPROVAL_TTL = timedelta(hours=env.float("FORUMDECK_APPROVAL_TTL_HOURS", default=24))
# Planning, or a run's steps before any batch, that fail this many times in a row stop the
# action with the reason on its page (a forum's "wait" is not a failure).
FORUMDECK_BULK_MAX_FAILED_TRIES = env.int("FORUMDECK_BULK_MAX_FAILED_TRIES", default=8)
# The largest target list (CSV) accepted; a larger upload is refused before it is read.
FORUMDECK_MAX_UPLOAD_BYTES = env.int("FORUMDECK_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
# A request's fields (not files): a pasted target list of 100,000 lines fits.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
# Files over this go to a temporary file while they stream in, never into the web's memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "forums.web.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# A bulk run holds its action for this long and renews it per batch; a crashed run's action
# is picked up again by beat once it runs out.
FORUMDECK_BULK_LEASE_SECONDS = env.int("FORUMDECK_BULK_LEASE_SECONDS", default=60)
# One task works this long at most, then hands over to a fresh one (fair to other actions).
FORUMDECK_BULK_RUN_BUDGET_SECONDS = env.float("FORUMDECK_BULK_RUN_BUDGET_SECONDS", default=120)

# --- Celery -----------------------------------------------------------------------------------
# The embedded default is kombu's filesystem transport: no server to run, and web, worker and
# beat on one machine share a folder. It acknowledges a message when it is read, so a worker
# killed mid-task loses that message; durable item rows (bulk actions) are the safety net.
# Set CELERY_BROKER_URL=redis://... for the self-hosted stack.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(env.str("FORUMDECK_BROKER_DIR", default=str(VAR_DIR / "broker")))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
    for _sub in ("queue", "control", "processed"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    # Remote control (pidbox broadcast) needs fanout, which the filesystem transport keeps in
    # the control folder; events are not needed by anything here.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = env.bool("CELERY_REMOTE_CONTROL", default=False)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Beat keeps its schedules in the database (django-celery-beat): the entries below are
# written there when beat starts, and per-forum backup schedules are rows the pages change.
# The embedded stack, the compose beat and the tests' beat all use this scheduler.
# dashboard.beat.Scheduler is django-celery-beat's DatabaseScheduler writing each entry's
# "last sent" every 10 s (not every 3 minutes), which the beat healthcheck reads.
CELERY_BEAT_SCHEDULER = "dashboard.beat:Scheduler"
# Beat sends a heartbeat task this often; a worker that takes it (or any task) is alive.
FORUMDECK_HEARTBEAT_SECONDS = env.float("FORUMDECK_HEARTBEAT_SECONDS", default=30.0)
# No task taken for this long: the overview turns red and `make run` restarts its worker. Long
# enough for a worker busy with bulk runs (each hands over after the run budget) to take one.
FORUMDECK_WORKER_STALE_SECONDS = env.float(
    "FORUMDECK_WORKER_STALE_SECONDS",
    default=max(4 * FORUMDECK_HEARTBEAT_SECONDS, FORUMDECK_BULK_RUN_BUDGET_SECONDS + 60),
)
# --- The fleet index (forums/index/) -----------------------------------------------------------
# The share of each forum's request budget the index may take (first sync, re-syncs, polling).
FORUMDECK_INDEX_BUDGET_SHARE = env.float("FORUMDECK_INDEX_BUDGET_SHARE", default=0.2)
# The slot book's priorities (forums/pacing.py, Priority): the sync and polls take a slot only
# while at most this share of the forum's window is used, and never while a change waits.
FORUMDECK_INDEX_SYNC_SHARE = env.float(
    "FORUMDECK_INDEX_SYNC_SHARE", default=FORUMDECK_INDEX_BUDGET_SHARE
)
# A Groups or Tags page waits this long for a forum it asks live when the index holds rows of
# it: a dead or hanging forum then shows what the index last saw, marked, at once.
FORUMDECK_INDEX_LIVE_WAIT_SECONDS = env.float("FORUMDECK_INDEX_LIVE_WAIT_SECONDS", default=1.5)
# The calendar asks every forum live: once some have answered, it waits for those still silent
# only this much more (within the wait above), shows their last known events, marked, and fills
# their answers in when they come.
FORUMDECK_LIVE_WAIT_GRACE_SECONDS = env.float("FORUMDECK_LIVE_WAIT_GRACE_SECONDS", default=0.1)
# A read a person waits for leaves this share of the forum's window free for changes (single
# actions, bulk runs, cancels); it waits its page's bounded time for room, then the page answers
# from the index.
FORUMDECK_PACE_CHANGE_RESERVE = env.float("FORUMDECK_PACE_CHANGE_RESERVE", default=0.1)
# How often beat looks at every forum's part of the index: starts a first sync where there is
# none (FORUMDECK_INDEX_AUTO_START), resumes one whose worker died, re-reads a stale one.
FORUMDECK_INDEX_POLL_SECONDS = env.float("FORUMDECK_INDEX_POLL_SECONDS", default=60.0)
FORUMDECK_INDEX_AUTO_START = env.bool("FORUMDECK_INDEX_AUTO_START", default=True)
# A complete index is read whole again after this long (what webhooks and writes missed).
FORUMDECK_INDEX_RESYNC_HOURS = env.float("FORUMDECK_INDEX_RESYNC_HOURS", default=24.0)
# Webhook deliveries one forum may send a minute before Forumdeck answers 429.
FORUMDECK_INDEX_WEBHOOK_PER_MINUTE = env.int("FORUMDECK_INDEX_WEBHOOK_PER_MINUTE", default=600)
# Deliveries (their ids and bodies) are remembered this long: the same one again is refused.
FORUMDECK_INDEX_WEBHOOK_REMEMBER_DAYS = env.int("FORUMDECK_INDEX_WEBHOOK_REMEMBER_DAYS", default=30)

CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {
        "task": "dashboard.tasks.worker_heartbeat",
        "schedule": FORUMDECK_HEARTBEAT_SECONDS,
    },
    "resume-stalled-bulk-actions": {
        "task": "forums.tasks.resume_stalled_bulk_actions",
        "schedule": env.float("FORUMDECK_RESUME_SECONDS", default=30.0),
    },
    "poll-fleet-index": {
        "task": "forums.tasks.poll_fleet_index",
        "schedule": FORUMDECK_INDEX_POLL_SECONDS,
    },
    # The Review page reads the queues kept here (forums/review/selectors.py).
    "refresh-review-queues": {
        "task": "forums.tasks.refresh_review_queues",
        "schedule": env.float("FORUMDECK_REVIEW_REFRESH_SECONDS", default=60.0),
    },
}

# --- Logging: never a secret; requests' own loggers never see headers at INFO. ---------------
# Every handler redacts secrets in URLs (a calendar feed's token), Django's own included:
# "django" and "django.server" are given these handlers instead of Django's defaults.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "dashboard.redaction.RedactSecrets"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact"],
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "filters": ["require_debug_false", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("FORUMDECK_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "urllib3": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
    },
}
DEFAULT_EXCEPTION_REPORTER = "dashboard.redaction.RedactingExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "dashboard.redaction.RedactingReporterFilter"
