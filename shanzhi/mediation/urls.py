"""Pages of the mediation centre (namespace "mediation"): window, dispute, agreement DOCX, calendar, centre."""

from django.urls import path

from shanzhi.mediation import views as v
from shanzhi.mediation import views_list

app_name = "mediation"
urlpatterns: list = [
    path("", v.index, name="index"),
    path("reception/", v.reception, name="reception"),
    path("d/<str:number>/", v.detail, name="detail"),
    path("d/<str:number>/do/<slug:action>/", v.act, name="act"),
    path("agreements/<int:pk>/docx/", v.agreement_docx, name="agreement_docx"),
    path("calendar/", v.calendar, name="calendar"),
    path("disputes/", views_list.dispute_list, name="list"),
    path("centre/<str:code>/", v.centre, name="centre"),
]
