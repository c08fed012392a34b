"""Pages of council meetings, votes and decisions (in the "councils" namespace, added by councils/urls.py)."""

from django.urls import path

from shanzhi.councils import views_meetings as v

urlpatterns: list = [
    path("meetings/", v.meeting_list, name="meeting_list"),
    path("meetings/new/", v.meeting_new, name="meeting_new"),
    path("meetings/mine/", v.my_meetings, name="my_meetings"),
    path("meetings/checkin/", v.meeting_checkin, name="meeting_checkin"),
    path("meetings/<int:pk>/", v.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/screen/", v.meeting_screen, name="meeting_screen"),
    path("meetings/<int:pk>/do/<slug:action>/", v.meeting_act, name="meeting_act"),
    path("meetings/<int:pk>/files/", v.meeting_attach, name="meeting_attach"),
    path("meeting-files/<int:pk>/", v.meeting_file, name="meeting_file"),
    path("meetings/<int:pk>/me/", v.meeting_member, name="meeting_member"),
    path("meetings/<int:pk>/me/checkin/", v.meeting_checkin_code, name="meeting_checkin_code"),
    path("meetings/<int:pk>/me/vote/", v.meeting_vote, name="meeting_vote"),
    path("decisions/", v.decision_list, name="decision_list"),
    path("decisions/<int:pk>/", v.decision_detail, name="decision_detail"),
    path("decisions/<int:pk>/do/<slug:action>/", v.decision_act, name="decision_act"),
]
