from django.urls import path

from . import views

urlpatterns = [
    path("bulk/", views.bulk_list, name="bulk-list"),
    path("bulk/new/", views.bulk_create, name="bulk-create"),
    path("bulk/<int:pk>/", views.bulk_detail, name="bulk-detail"),
    path("bulk/<int:pk>/approve/", views.bulk_approve, name="bulk-approve"),
    path("bulk/<int:pk>/reject/", views.bulk_reject, name="bulk-reject"),
    path("bulk/<int:pk>/cancel/", views.bulk_cancel, name="bulk-cancel"),
    path("bulk/<int:pk>/items.csv", views.bulk_items_csv, name="bulk-items-csv"),
]
