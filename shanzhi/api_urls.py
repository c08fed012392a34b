"""REST API v1: one router over the apps' viewsets."""

from django.urls import path
from rest_framework.routers import DefaultRouter

router = DefaultRouter()
urlpatterns: list = [*router.urls]
__all__ = ["path", "router", "urlpatterns"]
