"""Indicator pages of a unit (mounted under /cases/ by shanzhi.cases.urls)."""

from django.urls import path

from shanzhi.cases import views_indicators

urlpatterns = [
    path("indicators/<str:code>/", views_indicators.indicators, name="indicators"),
]
