from django.apps import AppConfig


class LegalConfig(AppConfig):
    name = "shanzhi.legal"
    label = "legal"
    verbose_name = "法律服务"
