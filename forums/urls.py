from django.urls import path

from . import views, views_bulk, views_people

app_name = "forums"
urlpatterns = [
    path("", views.connection_list, name="connection-list"),
    path("new/", views.connection_create, name="connection-create"),
    path("<int:pk>/edit/", views.connection_update, name="connection-update"),
    path("<int:pk>/toggle/", views.connection_toggle, name="connection-toggle"),
    path("<int:pk>/delete/", views.connection_delete, name="connection-delete"),
    path("<int:pk>/test/", views.connection_test, name="connection-test"),
    path("<int:pk>/card/", views.connection_card, name="connection-card"),
    path("audit/", views.audit_list, name="audit-list"),
    path("people/", views_people.people_search, name="people-search"),
    path("people/selected/", views_people.people_bulk, name="people-bulk"),
    path("people/everywhere/", views_people.ban_everywhere, name="people-everywhere"),
    path(
        "people/<int:connection_id>/<int:user_id>/",
        views_people.person_detail,
        name="person-detail",
    ),
    path(
        "people/<int:connection_id>/<int:user_id>/<slug:action>/",
        views_people.person_action,
        name="person-action",
    ),
    path("bulk/", views_bulk.bulk_list, name="bulk-list"),
    path("bulk/new/", views_bulk.bulk_create, name="bulk-create"),
    path("bulk/<int:pk>/", views_bulk.bulk_detail, name="bulk-detail"),
    path("bulk/<int:pk>/approve/", views_bulk.bulk_approve, name="bulk-approve"),
    path("bulk/<int:pk>/reject/", views_bulk.bulk_reject, name="bulk-reject"),
    path("bulk/<int:pk>/cancel/", views_bulk.bulk_cancel, name="bulk-cancel"),
    path("bulk/<int:pk>/items.csv", views_bulk.bulk_items_csv, name="bulk-items-csv"),
]
