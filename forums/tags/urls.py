from django.urls import path

from forums.web import names  # noqa: F401 - registers <forumname:...>

from . import views

urlpatterns = [
    path("tags/", views.tag_list, name="tag-list"),
    path("tags/new/", views.tag_create, name="tag-create"),
    path("tags/retag/", views.tag_retag, name="tag-retag"),
    path("tags/unused/<int:connection_id>/", views.tag_delete_unused, name="tag-delete-unused"),
    path("tags/groups/<int:connection_id>/", views.tag_group_list, name="tag-group-list"),
    path(
        "tags/groups/<int:connection_id>/<int:tag_group_id>/",
        views.tag_group_edit,
        name="tag-group-edit",
    ),
    path(
        "tags/groups/<int:connection_id>/<int:tag_group_id>/delete/",
        views.tag_group_delete,
        name="tag-group-delete",
    ),
    path("tags/t/<forumname:name>/", views.tag_detail, name="tag-detail"),
    path("tags/t/<forumname:name>/<str:change>/", views.tag_change, name="tag-change"),
]
