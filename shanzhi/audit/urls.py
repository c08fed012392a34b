from django.urls import path

from shanzhi.audit import views

app_name = "audit"
urlpatterns: list = [
    path("", views.audit_list, name="list"),
]
