# syntax=docker/dockerfile:1
# One image for web, worker and beat; compose.yaml only changes the command.
#   docker build -t forumdeck .
#   docker run --env-file .env -p 8000:8000 forumdeck web      (or: worker, beat, migrate, check)

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: resolve and install the dependencies into a venv --------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Dependencies first, from pyproject.toml alone, so a code change does not reinstall them.
# The project itself runs from /app (its templates/ and static/ live beside the packages,
# outside any wheel), so only its dependencies go into the venv.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && pip install --upgrade pip \
    && pip install -r requirements.txt \
    && pip uninstall -y pip

# --- runtime: the venv, the code, collected static files; no compilers, no pip ---------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=dashboard.settings \
    FORUMDECK_VAR_DIR=/app/var \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    PORT=8000

RUN groupadd --system --gid 10001 forumdeck \
    && useradd --system --uid 10001 --gid forumdeck --create-home --home-dir /home/forumdeck \
        --shell /usr/sbin/nologin forumdeck

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# Code is owned by root and read-only for the app user; only var/ is writable.
COPY manage.py ./
COPY dashboard ./dashboard
COPY forums ./forums
COPY templates ./templates
COPY static ./static
COPY docker ./docker

# collectstatic needs settings to import: give it throwaway values that exist only for this
# RUN (nothing is kept in the image's environment or layers), and keep any .env out of it.
RUN chmod 0755 docker/entrypoint.sh \
    && FORUMDECK_ENV_FILE=/dev/null \
       FORUMDECK_VAR_DIR=/tmp/build-var \
       DJANGO_SECRET_KEY="build-only-$(python -c 'import secrets; print(secrets.token_hex(32))')" \
       FORUMDECK_ENCRYPTION_KEYS="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
       python manage.py collectstatic --noinput --verbosity 1 \
    && rm -rf /tmp/build-var \
    && python -m compileall -q dashboard forums \
    && mkdir -p /app/var \
    && chown forumdeck:forumdeck /app/var

# compose.yaml mounts a named volume here; a new named volume starts as a copy of this
# (empty, app-owned) folder, so the non-root user can write to it. No VOLUME instruction: it
# would leave an anonymous volume behind every one-off `docker run`.

USER 10001:10001
EXPOSE 8000

# Works for every role: the script sees whether PID 1 is gunicorn, a worker or beat.
HEALTHCHECK --interval=30s --timeout=15s --start-period=40s --retries=3 \
    CMD ["/app/docker/entrypoint.sh", "healthcheck"]

ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
