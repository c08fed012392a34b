from django.urls import path  # noqa: F401

app_name = "councils"
urlpatterns: list = []

from shanzhi.councils import urls_meetings  # noqa: E402

urlpatterns += urls_meetings.urlpatterns
