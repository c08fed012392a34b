"""Case pages: the resident's side and the staff side live in separate modules."""

from django.urls import include, path

from shanzhi.cases import views_uploads

app_name = "cases"
urlpatterns = [
    path("uploads/", views_uploads.upload, name="upload"),
    path("uploads/<str:token>/", views_uploads.thumb, name="upload_thumb"),
    path("", include("shanzhi.cases.resident_urls")),
    path("", include("shanzhi.cases.staff_urls")),
    path("", include("shanzhi.cases.indicator_urls")),
]
