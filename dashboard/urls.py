from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("forums/", include("forums.urls")),
    path("admin/", admin.site.urls),
]
