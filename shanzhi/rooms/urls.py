from django.urls import path

from shanzhi.rooms import views

app_name = "rooms"
urlpatterns = [
    path("", views.room_list, name="list"),
    path("<int:pk>/", views.room_detail, name="detail"),
    path("<int:pk>/edit/", views.room_edit, name="edit"),
    path("<int:pk>/active/", views.room_active, name="active"),
]
