from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "shanzhi.cases"
    label = "cases"
    verbose_name = "诉求事件"

    def ready(self) -> None:
        from shanzhi.cases import dashboard

        dashboard.register_indicators()
