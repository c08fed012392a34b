"""Council pages (namespace "councils"): councils, members, topics, the desk queue, proxy acts, and
"提交议事会" from a case. Meetings and decisions have their own module (urls_meetings)."""

from django.urls import path

from shanzhi.councils import views as v

app_name = "councils"
urlpatterns: list = [
    path("", v.index, name="index"),
    path("new/", v.council_create, name="council_create"),
    path("c/<int:pk>/", v.council_detail, name="council_detail"),
    path("c/<int:pk>/members/add/", v.member_add, name="member_add"),
    path("c/<int:pk>/raise/", v.topic_raise, name="topic_raise"),
    path("members/<int:pk>/end/", v.member_end, name="member_end"),
    path("topics/", v.queue, name="queue"),
    path("t/<str:number>/", v.topic_detail, name="topic_detail"),
    path("t/<str:number>/do/<slug:action>/", v.topic_act, name="topic_act"),
    path("photos/<int:pk>/", v.photo, name="photo"),
    path("proxy/", v.proxy, name="proxy"),
    path("from-case/<str:number>/", v.from_case, name="from_case"),
]
