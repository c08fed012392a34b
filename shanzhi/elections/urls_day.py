"""Election day, the count and the result (views_day)."""
from django.urls import path

from shanzhi.elections import views_day as v

urlpatterns = [
    path("<int:pk>/day/", v.day, name="day"),
    path("<int:pk>/day/turnout/", v.turnout_board, name="day_turnout"),
    path("<int:pk>/day/open/", v.day_open, name="day_open"),
    path("<int:pk>/day/close/", v.day_close, name="day_close"),
    path("station/<int:station>/checkin/", v.checkin, name="checkin"),
    path("<int:pk>/tally/", v.tally, name="tally"),
    path("<int:pk>/tally/<int:station>/", v.tally_station, name="tally_station"),
    path("<int:pk>/results/", v.results_desk, name="results"),
    path("<int:pk>/results/compute/", v.results_compute, name="results_compute"),
    path("<int:pk>/results/certify/", v.results_certify, name="results_certify"),
    path("<int:pk>/result/", v.result_public, name="result"),
]
