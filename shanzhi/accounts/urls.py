from django.contrib.auth.views import LogoutView
from django.urls import path

from shanzhi.accounts import views

app_name = "accounts"
urlpatterns: list = [
    path("login/", views.staff_login, name="login"),
    path("resident/", views.resident_login, name="resident_login"),
    path("logout/", LogoutView.as_view(), name="logout"),
]
