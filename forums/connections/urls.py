from django.urls import path

from . import views

urlpatterns = [
    path("", views.connection_list, name="connection-list"),
    path("new/", views.connection_create, name="connection-create"),
    path("<int:pk>/edit/", views.connection_update, name="connection-update"),
    path("<int:pk>/toggle/", views.connection_toggle, name="connection-toggle"),
    path("<int:pk>/delete/", views.connection_delete, name="connection-delete"),
    path("<int:pk>/test/", views.connection_test, name="connection-test"),
    path("<int:pk>/card/", views.connection_card, name="connection-card"),
]
