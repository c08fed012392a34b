from django.apps import AppConfig


class VolunteersConfig(AppConfig):
    name = "shanzhi.volunteers"
    label = "volunteers"
    verbose_name = "百事服务团"

    def ready(self) -> None:
        from shanzhi.volunteers import dashboard, receivers

        dashboard.register_indicators()
        receivers.connect()
