from django.urls import path

from . import views

urlpatterns = [
    path("review/", views.review_list, name="review-list"),
    path("review/decide/", views.review_decide, name="review-decide"),
    path("review/decide-many/", views.review_decide_many, name="review-decide-many"),
    path("review/propose/", views.review_propose, name="review-propose"),
]
