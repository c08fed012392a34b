from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "shanzhi.campaigns"
    label = "campaigns"
    verbose_name = "入户走访与应急动员"

    def ready(self) -> None:
        from shanzhi.campaigns import dashboard

        dashboard.register_indicators()
