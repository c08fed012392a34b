from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "shanzhi.people"
    label = "people"
    verbose_name = "人口与户"
