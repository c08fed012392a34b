"""The county's and towns' overview of all elections (换届选举总览)."""
from django.urls import path

from shanzhi.elections import views_overview

urlpatterns: list = [
    path("", views_overview.home, name="home"),
]
