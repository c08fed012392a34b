from django.apps import AppConfig


class CouncilsConfig(AppConfig):
    name = "shanzhi.councils"
    label = "councils"
    verbose_name = "议事协商"

    def ready(self) -> None:
        from shanzhi.councils import dashboard

        dashboard.register_indicators()
