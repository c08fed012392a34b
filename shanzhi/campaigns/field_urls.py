"""The responsible persons' phone pages and the live board (names in the "campaigns" namespace)."""

from django.urls import path

from shanzhi.campaigns import views_field as v

urlpatterns: list = [
    path("mine/", v.mine, name="mine"),
    path("checkin/self/", v.checkin_self, name="checkin_self"),
    path("<int:pk>/walk/", v.walk, name="walk"),
    path("<int:pk>/acknowledge/", v.acknowledge, name="acknowledge"),
    path("<int:pk>/targets/<int:target_id>/visit/", v.visit, name="visit"),
    path("<int:pk>/targets/<int:target_id>/call/", v.call, name="call"),
    path("sw.js", v.service_worker, name="service_worker"),
    path("<int:pk>/targets/<int:target_id>/case/", v.raise_case, name="raise_case"),
    path("<int:pk>/checkin/", v.checkin, name="checkin"),
    path("<int:pk>/board/", v.board, name="board"),
    path("<int:pk>/board/numbers/", v.board_partial, name="board_partial"),
]
