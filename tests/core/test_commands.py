from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from dashboard.envfile import write_env


def test_env_file_is_written_once_and_never_overwritten(tmp_path):
    path = tmp_path / ".env"
    assert write_env(path) is True
    first = path.read_text()
    assert "DJANGO_SECRET_KEY=" in first and "FORUMDECK_ENCRYPTION_KEYS=" in first
    assert (path.stat().st_mode & 0o777) == 0o600
    assert write_env(path) is False
    assert path.read_text() == first
    other = tmp_path / "other.env"
    write_env(other)
    # Fresh secrets every time.
    assert other.read_text() != first


@pytest.mark.django_db
def test_ensure_admin_prints_a_generated_password_once(monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    monkeypatch.delenv("DJANGO_SUPERUSER_USERNAME", raising=False)
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    text = out.getvalue()
    assert "username: admin" in text and "password: " in text
    password = text.split("password: ")[1].split()[0]
    user = get_user_model().objects.get(username="admin")
    assert user.check_password(password) and user.groups.filter(name="Admin").exists()
    again = io.StringIO()
    call_command("ensure_admin", stdout=again)
    assert "nothing to do" in again.getvalue() and "password" not in again.getvalue()
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_ensure_admin_takes_credentials_from_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "chief")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-password-42")
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    assert "a-long-password-42" not in out.getvalue()
    assert get_user_model().objects.get(username="chief").check_password("a-long-password-42")


@pytest.mark.django_db
def test_the_generated_password_is_kept_for_the_owner_only_until_it_is_changed(
    monkeypatch, settings, tmp_path
):
    from dashboard.services import first_admin_credentials, first_admin_file

    settings.VAR_DIR = tmp_path
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    monkeypatch.delenv("DJANGO_SUPERUSER_USERNAME", raising=False)
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    password = out.getvalue().split("password: ")[1].split()[0]
    path = first_admin_file()
    assert str(path) in out.getvalue()
    assert (path.stat().st_mode & 0o777) == 0o600
    assert first_admin_credentials() == ("admin", password)
    user = get_user_model().objects.get(username="admin")
    user.set_password("a-new-password-of-mine")
    user.save()
    assert first_admin_credentials() is None
    assert not path.exists()  # nothing left to find once it no longer works
