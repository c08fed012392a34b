"""The time bank's pages (included by volunteers/urls.py): my points, the store and its counter, activities,
the ledger, 志愿之星, the certificate and civic points."""

from django.urls import path

from shanzhi.volunteers import views_bank as v

urlpatterns = [
    path("me/points/", v.my_points, name="my_points"),
    path("me/certificate/", v.my_certificate, name="my_certificate"),
    path("store/", v.store_home, name="store"),
    path("store/items/<int:pk>/", v.store_item, name="store_item"),
    path("counter/", v.counter, name="counter"),
    path("activities/", v.activity_list, name="activities"),
    path("activities/new/", v.activity_new, name="activity_new"),
    path("activities/checkin/", v.activity_checkin, name="activity_checkin"),
    path("activities/<int:pk>/", v.activity_detail, name="activity"),
    path("activities/<int:pk>/screen/", v.activity_screen, name="activity_screen"),
    path("activities/<int:pk>/act/<str:action>/", v.activity_act, name="activity_act"),
    path("ledger/", v.ledger_list, name="ledger"),
    path("ledger/accounts/<int:pk>/", v.account, name="account"),
    path("ledger/entries/<int:pk>/correct/", v.ledger_correct, name="ledger_correct"),
    path("ranking/", v.ranking, name="ranking"),
    path("certificate/<int:pk>/", v.certificate, name="certificate"),
    path("civic/", v.civic_award, name="civic"),
]
