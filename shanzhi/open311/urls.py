"""Open311 GeoReport v2 under /open311/ (format by extension: .json or .xml) and the API-key page."""

from django.urls import path, re_path

from shanzhi.open311 import views

app_name = "open311"
FMT = r"\.(?P<fmt>json|xml)$"
urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^v2/services" + FMT, views.services, name="services"),
    re_path(r"^v2/services/(?P<code>[-\w]+)" + FMT, views.service_definition, name="service"),
    re_path(r"^v2/requests" + FMT, views.requests, name="requests"),
    re_path(r"^v2/requests/(?P<number>[-\w]+)" + FMT, views.request_detail, name="request"),
    re_path(r"^v2/tokens/(?P<token>[-\w]+)" + FMT, views.token, name="token"),
    path("keys/", views.keys, name="keys"),
    path("keys/<int:pk>/revoke/", views.key_revoke, name="key_revoke"),
]
