from django.urls import path

from . import views

urlpatterns = [
    path("accounts/", views.account_list, name="account-list"),
    path("accounts/new/", views.account_create, name="account-create"),
    path("accounts/<int:pk>/", views.account_detail, name="account-detail"),
    path("accounts/<int:pk>/roles/", views.account_roles, name="account-roles"),
    path("accounts/<int:pk>/password/", views.account_password, name="account-password"),
    path(
        "accounts/changes/<int:pk>/confirm/",
        views.account_change_confirm,
        name="account-change-confirm",
    ),
    path(
        "accounts/changes/<int:pk>/decline/",
        views.account_change_decline,
        name="account-change-decline",
    ),
    path("accounts/lockouts/", views.lockout_list, name="lockout-list"),
    path("accounts/lockouts/unlock/", views.lockout_unlock, name="lockout-unlock"),
]
