"""The resident's case pages (names in the "cases" namespace)."""

from django.urls import path

from shanzhi.cases import views_rating_link
from shanzhi.cases import views_resident as v

urlpatterns: list = [
    path("report/", v.report, name="report"),
    path("report/similar/", v.similar, name="similar"),
    path("mine/", v.mine, name="mine"),
    path("mine/<str:number>/", v.detail, name="detail_resident"),
    path("feed/", v.feed, name="feed"),
    path("photo/<int:pk>/", v.attachment, name="attachment"),
    path("r/<str:token>/", views_rating_link.rate_link, name="rate_link"),
    path("<str:number>/rate/", v.rate, name="rate"),
    path("<str:number>/follow/", v.follow, name="follow"),
]
