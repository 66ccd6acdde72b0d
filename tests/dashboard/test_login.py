"""Sign-in throttling and lockout on every login form, and password reset only with mail
(issue 13, finding 6: 40 wrong passwords in 16 s, then the right one worked)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from forums.roles import ADMIN, VIEWER

PASSWORD = "pw-vera-123"  # what make_user gives "vera"


def _sign_in(client, url: str, username: str, password: str):
    return client.post(url, {"username": username, "password": password, "next": "/"})


@pytest.fixture
def vera(make_user):
    return make_user("vera", VIEWER)


def test_wrong_passwords_lock_the_account_and_the_page_says_so(client, vera, settings):
    login_url = "/accounts/login/"
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        wrong = _sign_in(client, login_url, "vera", "guess")
        assert wrong.status_code == 200
        assert "locked-out" not in wrong.content.decode()
    fifth = _sign_in(client, login_url, "vera", "guess")
    assert fifth.status_code == 429
    html = fifth.content.decode()
    assert "Too many failed sign-ins for “vera”" in html
    assert "paused for 15 minutes" in html
    # Now even the right password does not sign in, on either form.
    right = _sign_in(client, login_url, "vera", PASSWORD)
    assert right.status_code == 429
    assert "Too many failed sign-ins" in right.content.decode()
    admin_form = _sign_in(client, "/admin/login/", "vera", PASSWORD)
    assert admin_form.status_code == 302
    assert admin_form["Location"].startswith("/accounts/login/")
    assert client.get(reverse("overview")).status_code == 302  # still signed out


def test_the_admin_sign_in_is_the_sign_in_page_so_no_form_skips_lockouts_or_second_factors(
    client, vera
):
    """The Django admin's own form would sign in with a password alone (no lockout page, no
    second factor): it sends people to the site's sign-in page and signs nobody in."""
    page = client.get("/admin/login/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    for _ in range(6):
        posted = _sign_in(client, "/admin/login/", "vera", "guess")
        assert posted.status_code == 302 and posted["Location"].startswith("/accounts/login/")
    posted = _sign_in(client, "/admin/login/", "vera", PASSWORD)
    assert posted["Location"].startswith("/accounts/login/")
    assert client.get(reverse("overview")).status_code == 302  # not signed in by that form
    # Those posts counted nothing: the sign-in page still takes the right password.
    assert _sign_in(client, "/accounts/login/", "vera", PASSWORD).status_code == 302
    assert client.get(reverse("overview")).status_code == 200


def test_a_successful_sign_in_resets_the_count(client, vera):
    for _ in range(4):
        _sign_in(client, "/accounts/login/", "vera", "guess")
    assert _sign_in(client, "/accounts/login/", "vera", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert _sign_in(client, "/accounts/login/", "vera", "guess").status_code == 200
    assert _sign_in(client, "/accounts/login/", "vera", PASSWORD).status_code == 302


def test_one_persons_lockout_leaves_others_signing_in(client, vera, make_user):
    make_user("walt", VIEWER)
    for _ in range(5):
        _sign_in(client, "/accounts/login/", "vera", "guess")
    assert _sign_in(client, "/accounts/login/", "walt", "pw-walt-123").status_code == 302


def test_admins_see_lockouts_and_can_lift_one(client, vera, make_user):
    for _ in range(5):
        _sign_in(client, "/accounts/login/", "vera", "guess")
    admin = make_user("ada", ADMIN, is_staff=True)
    client.force_login(admin)
    attempts = reverse("admin:axes_accessattempt_changelist")
    page = client.get(attempts)
    assert page.status_code == 200
    assert "vera" in page.content.decode()
    # The People & roles index links to it.
    assert attempts in client.get(reverse("admin:index")).content.decode()

    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.get(username="vera")
    confirm = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert client.post(confirm, {"post": "yes"}).status_code == 302
    client.logout()
    assert _sign_in(client, "/accounts/login/", "vera", PASSWORD).status_code == 302


def test_viewers_do_not_see_lockouts(client, vera, make_user):
    viewer = make_user("vic", VIEWER, is_staff=True)
    client.force_login(viewer)
    response = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code == 403


# --- password reset only with mail ----------------------------------------------------------


@pytest.mark.parametrize(
    "backend,host",
    [
        ("django.core.mail.backends.console.EmailBackend", "smtp.example.com"),
        ("django.core.mail.backends.dummy.EmailBackend", "smtp.example.com"),
        ("django.core.mail.backends.smtp.EmailBackend", ""),
    ],
)
def test_no_password_reset_without_mail(client, db, settings, backend, host):
    settings.EMAIL_BACKEND = backend
    settings.EMAIL_HOST = host
    login = client.get("/accounts/login/").content.decode()
    assert "Forgot your password?" not in login
    assert client.get("/accounts/password_reset/").status_code == 404
    assert client.post("/accounts/password_reset/", {"email": "a@example.com"}).status_code == 404


def test_password_reset_with_mail_sends_the_link(client, vera, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    vera.email = "vera@example.com"
    vera.save()
    login = client.get("/accounts/login/").content.decode()
    assert "Forgot your password?" in login
    response = client.post("/accounts/password_reset/", {"email": "vera@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body


def test_the_default_settings_have_no_mail_and_so_no_reset():
    from dashboard import settings as production

    assert production.EMAIL_BACKEND == "django.core.mail.backends.dummy.EmailBackend"
