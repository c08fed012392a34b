from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "shanzhi.dashboard"
    label = "dashboard"
    verbose_name = _("指挥中心")

    def ready(self) -> None:
        from shanzhi.dashboard import rollups

        rollups.connect()  # every Case and Dispute write keeps the roll-ups current
