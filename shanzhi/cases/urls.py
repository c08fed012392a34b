"""Case pages: the resident's side and the staff side live in separate modules."""

from django.urls import include, path

app_name = "cases"
urlpatterns = [
    path("", include("shanzhi.cases.resident_urls")),
    path("", include("shanzhi.cases.staff_urls")),
    path("", include("shanzhi.cases.indicator_urls")),
]
