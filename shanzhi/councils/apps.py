from django.apps import AppConfig


class CouncilsConfig(AppConfig):
    name = "shanzhi.councils"
    label = "councils"
    verbose_name = "议事协商"
