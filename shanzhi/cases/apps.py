from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "shanzhi.cases"
    label = "cases"
    verbose_name = "诉求事件"
