from allauth.account import views as allauth_views
from allauth.account.decorators import secure_admin_login
from allauth.socialaccount import views as social_views
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from forums.accounts import second_factor
from forums.accounts import views as account_views

from . import views

# Django's auth URLs, spelled out so that password reset exists only with a mail server, and
# only the parts of django-allauth Forumdeck uses (no sign-up, no e-mail management, no second
# password form that would bypass the recorded one). allauth reverses its own names
# (account_login, account_logout...), so those name the same views.
sign_in = views.SignInView.as_view()
sign_out = auth_views.LogoutView.as_view()
account_urls = [
    path("login/", sign_in, name="login"),
    path("login/", sign_in, name="account_login"),
    path("logout/", sign_out, name="logout"),
    path("logout/", sign_out, name="account_logout"),
    path("inactive/", allauth_views.account_inactive, name="account_inactive"),
    # Closed: says that an Admin creates accounts.
    path("signup/", allauth_views.signup, name="account_signup"),
    # "Confirm it's you" with the password (before second factors change).
    path("reauthenticate/", allauth_views.reauthenticate, name="account_reauthenticate"),
    # Second factors: set up, use, replace (allauth.mfa).
    path("2fa/", include("allauth.mfa.urls")),
    path(
        "2fa/required/",
        second_factor.second_factor_required_page,
        name="second-factor-required",
    ),
    # The organisation's identity provider: /accounts/oidc/<id>/login/ and .../callback/.
    path("", include("allauth.socialaccount.providers.openid_connect.urls")),
    path(
        "3rdparty/login/cancelled/",
        social_views.login_cancelled,
        name="socialaccount_login_cancelled",
    ),
    path("3rdparty/login/error/", social_views.login_error, name="socialaccount_login_error"),
    path("3rdparty/signup/", social_views.signup, name="socialaccount_signup"),
    # Recorded as the holder's own change to their account (People & roles, four eyes).
    path("password_change/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/",
        account_views.PasswordChangeView.as_view(),
        name="account_change_password",
    ),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password_reset/",
        views.mail_required(auth_views.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path(
        "password_reset/",
        views.mail_required(auth_views.PasswordResetView.as_view()),
        name="account_reset_password",
    ),
    path(
        "password_reset/done/",
        views.mail_required(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views.mail_required(account_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        views.mail_required(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
]

# The Django admin's own sign-in would skip the second factor: it sends people to the site's.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
# Nor may an Admin use the admin site's pages before setting up the second factor their role
# calls for: each admin page is wrapped as the site's own administering views are.
_admin_view = admin.site.admin_view
admin.site.admin_view = (  # type: ignore[method-assign]
    lambda view, cacheable=False: second_factor.second_factor_required(_admin_view(view, cacheable))
)

urlpatterns = [
    path("", views.overview, name="overview"),
    path("accounts/", include(account_urls)),
    path("forums/", include("forums.urls")),
    # The admin site's own password form goes to the one that records the change.
    path(
        "admin/password_change/",
        RedirectView.as_view(pattern_name="password_change", permanent=False),
    ),
    path("admin/", admin.site.urls),
]
