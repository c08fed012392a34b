"""Campaign pages: staff (declare, progress, reassign, sign off) and responsible persons (walk list, board)."""

from django.urls import include, path

app_name = "campaigns"
urlpatterns = [
    path("", include("shanzhi.campaigns.staff_urls")),
    path("", include("shanzhi.campaigns.field_urls")),
]
