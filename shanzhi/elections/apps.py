from django.apps import AppConfig


class ElectionsConfig(AppConfig):
    name = "shanzhi.elections"
    label = "elections"
    verbose_name = "村社换届选举"

    def ready(self) -> None:
        from shanzhi.elections import dashboard

        dashboard.register_indicators()
