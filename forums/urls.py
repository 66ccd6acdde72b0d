"""Each area's URLs, under one namespace: every name stays "forums:<name>"."""

from django.urls import include, path

app_name = "forums"
urlpatterns = [
    path("", include("forums.connections.urls")),
    path("", include("forums.audit.urls")),
    path("", include("forums.people.urls")),
    path("", include("forums.bulk.urls")),
    path("", include("forums.accounts.urls")),
    path("", include("forums.backups.urls")),
    path("", include("forums.calendar.urls")),
    path("", include("forums.groups.urls")),
    path("", include("forums.tags.urls")),
    path("", include("forums.review.urls")),
    path("", include("forums.index.urls")),
]
