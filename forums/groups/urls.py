from django.urls import path

from forums.web import names  # noqa: F401 - registers <forumname:...>

from . import views

urlpatterns = [
    path("groups/", views.group_list, name="group-list"),
    path("groups/new/", views.group_create, name="group-create"),
    path("groups/sync/", views.group_sync, name="group-sync"),
    path("groups/<int:connection_id>/<forumname:key>/", views.group_detail, name="group-detail"),
    path(
        "groups/<int:connection_id>/<forumname:key>/members.csv",
        views.group_members_csv,
        name="group-members-csv",
    ),
    path("groups/<int:connection_id>/<forumname:key>/edit/", views.group_edit, name="group-edit"),
    path(
        "groups/<int:connection_id>/<forumname:key>/delete/",
        views.group_delete,
        name="group-delete",
    ),
    path(
        "groups/<int:connection_id>/<forumname:key>/members/<str:change>/",
        views.group_members_change,
        name="group-members-change",
    ),
]
