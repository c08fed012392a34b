"""Pages of volunteers, teams and service requests (the time bank and the store are in urls_bank)."""

from django.urls import path

from shanzhi.volunteers import views

urlpatterns: list = [
    path("", views.home, name="home"),
    path("join/", views.join, name="join"),
    path("me/", views.me_act, name="me_act"),
    path("me/profile/", views.me_profile, name="me_profile"),
    path("ask/", views.ask, name="ask"),
    path("mine/", views.mine, name="mine"),
    path("tasks/", views.tasks, name="tasks"),
    path("requests/", views.desk_requests, name="desk_requests"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/assign/", views.request_assign, name="request_assign"),
    path("requests/<int:pk>/photo/", views.request_photo, name="request_photo"),
    path("requests/<int:pk>/<slug:action>/", views.request_act, name="request_act"),
    path("volunteers/", views.desk_volunteers, name="desk_volunteers"),
    path("volunteers/<int:pk>/", views.volunteer_detail, name="volunteer_detail"),
    path("volunteers/<int:pk>/<slug:action>/", views.volunteer_act, name="volunteer_act"),
    path("teams/", views.teams, name="teams"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<int:pk>/", views.team_detail, name="team_detail"),
    path("teams/<int:pk>/<slug:action>/", views.team_act, name="team_act"),
    path("from-case/<str:number>/", views.from_case, name="from_case"),
]
