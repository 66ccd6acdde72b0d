from django.urls import path

from . import views

urlpatterns = [
    path("index/", views.index_list, name="index-list"),
    path("<int:pk>/index/", views.index_detail, name="index-detail"),
    path("<int:pk>/index/sync/", views.index_sync, name="index-sync"),
    path("<int:pk>/index/webhook-secret/", views.index_webhook_secret, name="index-webhook-secret"),
    path(
        "<int:pk>/index/webhook-connect/", views.index_webhook_connect, name="index-webhook-connect"
    ),
    path("index/webhook/<int:pk>/", views.index_webhook, name="index-webhook"),
]
