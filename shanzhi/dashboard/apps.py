from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "shanzhi.dashboard"
    label = "dashboard"
    verbose_name = "指挥中心"
