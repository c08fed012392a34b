from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "shanzhi.org"
    label = "org"
    verbose_name = "组织网格"
