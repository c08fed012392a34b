from django.urls import path

from shanzhi.people import views

app_name = "people"
urlpatterns = [
    path("units/<str:code>/households/", views.household_list, name="households"),
    path("units/<str:code>/residents/", views.resident_list, name="residents"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("residents/<int:pk>/", views.resident_detail, name="resident"),
    path("residents/<int:pk>/reveal/", views.resident_reveal, name="resident_reveal"),
]
