"""Set-up and roll pages (namespace "elections"): rounds, elections, committee, roll, prints, cards,
objections, rights suspensions, and the resident's own page `elections:mine`."""

from django.urls import path

from shanzhi.elections import views_setup as v

urlpatterns: list = [
    path("mine/", v.mine, name="mine"),
    path("rounds/", v.rounds, name="rounds"),
    path("rounds/<int:pk>/", v.round_detail, name="round"),
    path("rounds/<int:pk>/elections/new/", v.election_create, name="election_create"),
    path("rounds/<int:pk>/town/", v.elections_for_town, name="elections_for_town"),
    path("rounds/<int:pk>/generate/", v.round_generate, name="round_generate"),
    path("rounds/<int:pk>/duplicates/", v.round_duplicates, name="round_duplicates"),
    path("<int:pk>/", v.election_detail, name="election"),
    path("<int:pk>/edit/", v.election_edit, name="election_edit"),
    path("<int:pk>/committee/", v.committee, name="committee"),
    path("committee/<int:pk>/remove/", v.committee_remove, name="committee_remove"),
    path("<int:pk>/roll/", v.roll_list, name="roll"),
    path("<int:pk>/roll/generate/", v.roll_generate, name="roll_generate"),
    path("<int:pk>/roll/publish/", v.roll_publish, name="roll_publish"),
    path("<int:pk>/roll/admit/", v.voter_admit, name="voter_admit"),
    path("<int:pk>/roll/print/", v.roll_print, name="roll_print"),
    path("<int:pk>/roll.xlsx", v.roll_xlsx, name="roll_xlsx"),
    path("<int:pk>/roll.docx", v.roll_docx, name="roll_docx"),
    path("<int:pk>/cards/", v.voter_cards, name="cards"),
    path("voters/<int:pk>/remove/", v.voter_remove, name="voter_remove"),
    path("<int:pk>/objections/", v.objections, name="objections"),
    path("objections/<int:pk>/answer/", v.objection_answer, name="objection_answer"),
    path("suspensions/", v.suspensions, name="suspensions"),
    path("suspensions/<int:pk>/end/", v.suspension_end, name="suspension_end"),
]
