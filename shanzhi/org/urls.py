from django.urls import path

from shanzhi.org import views

app_name = "org"
urlpatterns = [
    path("", views.home, name="home"),
    path("indicators/", views.indicators_home, name="indicators"),
    path("units/<str:code>/", views.unit, name="unit"),
    path("units/<str:code>/children.geojson", views.children_geojson, name="children_geojson"),
]
