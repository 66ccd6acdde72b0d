from django.urls import path

from . import views

urlpatterns = [
    path("backups/", views.backup_list, name="backup-list"),
    path("backups/<int:connection_id>/", views.backup_detail, name="backup-detail"),
    path("backups/<int:connection_id>/start/", views.backup_start, name="backup-start"),
    path("backups/<int:connection_id>/cancel/", views.backup_cancel, name="backup-cancel"),
    path("backups/<int:connection_id>/link/", views.backup_link, name="backup-link"),
    path("backups/<int:connection_id>/schedule/", views.backup_schedule, name="backup-schedule"),
    path(
        "backups/<int:connection_id>/runs/<int:run_id>/",
        views.backup_run,
        name="backup-run",
    ),
]
