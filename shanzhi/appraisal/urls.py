"""Pages of the moral-appraisal panel 道德评判团 (namespace "appraisal")."""

from django.urls import path

from shanzhi.appraisal import views as v

app_name = "appraisal"
urlpatterns: list = [
    path("", v.index, name="index"),
    path("honour/<str:code>/", v.honour, name="honour"),
    path("blacklist/<str:code>/", v.blacklist, name="blacklist"),
    path("nominate/", v.nominate, name="nominate"),
    path("complain/", v.complain, name="complain"),
    path("mine/", v.mine, name="mine"),
    path("desk/", v.desk, name="desk"),
    path("desk/nominate/", v.desk_nominate, name="desk_nominate"),
    path("desk/complain/", v.desk_complain, name="desk_complain"),
    path("desk/nominations/<int:pk>/", v.nomination_detail, name="nomination_detail"),
    path("desk/complaints/<int:pk>/", v.complaint_detail, name="complaint_detail"),
    path("desk/complaints/<int:pk>/hearing/", v.complaint_hearing, name="complaint_hearing"),
    path("desk/complaints/<int:pk>/follow-up/", v.complaint_follow_up, name="complaint_follow_up"),
    path("settings/", v.settings_page, name="settings"),
]
