"""Candidates, stations and proxies (namespace "elections"): the committee's desk pages under an election, the
public candidate and proxy lists for the village, and the candidate's own page."""

from django.urls import path

from shanzhi.elections import views_candidates as v

urlpatterns: list = [
    path("<int:pk>/candidates/", v.candidates, name="candidates"),
    path("<int:pk>/candidates/tally/", v.candidate_tally, name="candidate_tally"),
    path("<int:pk>/candidates/public/", v.candidates_public, name="candidates_public"),
    path("<int:pk>/candidates/mine/", v.candidate_mine, name="candidate_mine"),
    path("<int:pk>/stations/", v.stations_page, name="stations"),
    path("<int:pk>/proxies/", v.proxies_page, name="proxies"),
    path("<int:pk>/proxies/public/", v.proxies_public, name="proxies_public"),
]
