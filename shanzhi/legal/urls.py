"""法律服务团: the resident's, the adviser's and the desk's pages."""
from django.urls import path

from shanzhi.legal import views

app_name = "legal"
urlpatterns = [
    path("", views.home, name="home"),
    # residents (phone)
    path("me/", views.resident, name="resident"),
    path("ask/", views.ask, name="ask"),
    path("questions/", views.my_questions, name="my_questions"),
    path("questions/<int:pk>/", views.my_question, name="my_question"),
    path("village/", views.public, name="public"),
    path("slots/", views.slots, name="slots"),
    path("slots/<int:pk>/book/", views.book, name="book"),
    path("bookings/", views.my_bookings, name="my_bookings"),
    path("bookings/<int:pk>/cancel/", views.cancel, name="cancel"),
    # the adviser
    path("adviser/", views.adviser, name="adviser"),
    path("adviser/questions/<int:pk>/", views.answer, name="answer"),
    path("adviser/schedule/", views.adviser_schedule, name="adviser_schedule"),
    path("adviser/bookings/<int:pk>/outcome/", views.outcome, name="outcome"),
    path("adviser/talks/", views.talk, name="talk"),
    path("adviser/log/", views.adviser_log, name="adviser_log"),
    # the desk
    path("desk/", views.desk, name="desk"),
    path("desk/appointments/<int:pk>/", views.appointment, name="appointment"),
    path("desk/log/", views.log, name="log"),
    path("referrals/", views.referrals, name="referrals"),
    path("referrals/<int:pk>/register/", views.referral_register, name="referral_register"),
]
