"""The command centre's pages (namespace "dashboard"), mounted at /dashboard/."""

from django.urls import path

from shanzhi.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("<str:code>/", views.centre, name="centre"),
    path("<str:code>/map.json", views.map_json, name="map_json"),
    path("<str:code>/feed/", views.feed, name="feed"),
]
