"""Staff campaign pages (namespace "campaigns"): list, declare, progress, reassign, sign-off, sites."""

from django.urls import path

from shanzhi.campaigns import views_staff as v

urlpatterns: list = [
    path("", v.campaign_list, name="list"),
    path("new/night-visit/", v.new_night_visit, name="new_night_visit"),
    path("new/incident/", v.new_incident, name="new_incident"),
    path("sites/", v.sites, name="sites"),
    path("sites/check-in/", v.stay_check_in, name="stay_check_in"),
    path("sites/stays/<int:pk>/check-out/", v.stay_check_out, name="stay_check_out"),
    path("<int:pk>/", v.detail, name="detail"),
    path("<int:pk>/reassign/", v.reassign, name="reassign"),
    path("<int:pk>/reassign-absent/", v.reassign_absent, name="reassign_absent"),
    path("<int:pk>/signoff/<str:code>/", v.signoff, name="signoff"),
]
