from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "shanzhi.people"
    label = "people"
    verbose_name = "人口与户"

    def ready(self) -> None:
        from shanzhi.people import dashboard

        dashboard.register_indicators()
