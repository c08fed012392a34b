from django.apps import AppConfig


class LibConfig(AppConfig):
    name = "shanzhi.lib"
    label = "lib"
    verbose_name = "Shared helpers"
