from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "shanzhi.rooms"
    label = "rooms"
    verbose_name = "会议室"
