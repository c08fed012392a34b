from django.urls import path

app_name = "mediation"
urlpatterns: list = []
__all__ = ["path"]
