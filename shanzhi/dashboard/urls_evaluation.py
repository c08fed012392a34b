"""Grid evaluation and monthly report pages (mounted at dashboard/)."""

from django.urls import path

from shanzhi.dashboard import views_evaluation, views_report

app_name = "evaluation"

urlpatterns = [
    path("evaluation/scheme/", views_evaluation.scheme, name="scheme"),
    path("evaluation/<str:code>/", views_evaluation.unit_evaluation, name="unit"),
    path("report/<str:code>/", views_report.unit_report, name="report"),
]
