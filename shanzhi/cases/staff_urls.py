"""Staff case pages (namespace "cases"): queue, subtree list, case detail and actions, intake, inbox."""

from django.urls import path

from shanzhi.cases import views_staff as v

urlpatterns: list = [
    path("queue/", v.queue, name="queue"),
    path("all/", v.case_list, name="all"),
    path("all/dispatch/", v.bulk_dispatch, name="bulk_dispatch"),
    path("all/targets/", v.bulk_targets, name="bulk_targets"),
    path("extensions/", v.extensions, name="extensions"),
    path("staff/<str:number>/", v.staff_detail, name="staff_detail"),
    path("staff/<str:number>/call/", v.call_reporter, name="call_reporter"),
    path("staff/<str:number>/do/<slug:action>/", v.staff_act, name="staff_act"),
    path("attachments/<int:pk>/", v.attachment, name="staff_attachment"),
    path("hotline/", v.hotline, name="hotline"),
    path("patrol/", v.patrol, name="patrol"),
    path("inbox/", v.inbox, name="inbox"),
    path("inbox/count/", v.inbox_count, name="inbox_count"),
    path("inbox/read-all/", v.inbox_read_all, name="inbox_read_all"),
    path("inbox/<int:pk>/", v.inbox_open, name="inbox_open"),
    path("inbox/<int:pk>/read/", v.inbox_read, name="inbox_read"),
]
