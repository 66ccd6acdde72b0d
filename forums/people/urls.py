from django.urls import path

from . import views

urlpatterns = [
    path("people/", views.people_search, name="people-search"),
    path("people/selected/", views.people_bulk, name="people-bulk"),
    path("people/everywhere/", views.ban_everywhere, name="people-everywhere"),
    path("people/new/", views.people_new, name="people-new"),
    path("people/new/propose/", views.people_new_propose, name="people-new-propose"),
    path("people/shared/", views.people_shared, name="people-shared"),
    path("people/shared/propose/", views.people_shared_propose, name="people-shared-propose"),
    path(
        "people/<int:connection_id>/<int:user_id>/",
        views.person_detail,
        name="person-detail",
    ),
    path(
        "people/<int:connection_id>/<int:user_id>/<slug:action>/",
        views.person_action,
        name="person-action",
    ),
]
