from django.urls import path

from . import views

urlpatterns = [
    path("calendar/", views.calendar_month, name="calendar-month"),
    path("calendar/agenda/", views.calendar_agenda, name="calendar-agenda"),
    path("calendar/feeds/", views.calendar_feeds, name="calendar-feeds"),
    path("calendar/feeds/<int:feed_id>/rotate/", views.calendar_feed_rotate,
         name="calendar-feed-rotate"),
    path("calendar/feeds/<int:feed_id>/revoke/", views.calendar_feed_revoke,
         name="calendar-feed-revoke"),
    path("calendar/feed/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
]  # fmt: skip
